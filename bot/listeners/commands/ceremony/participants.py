"""`/ceremony participants <name> [@a @b … | channel]`: who a standup asks."""

from __future__ import annotations

from bot.blocks.standups import participants_answer
from bot.listeners.commands.router import CommandRequest
from bot.text import parse_user
from workflow import standups
from workflow.errors import InvalidInput

USAGE = (
    "`/ceremony participants standup @a @b` sets the list, `/ceremony participants standup channel` "
    "goes back to the channel's members, `/ceremony participants standup` shows it."
)


def participants(request: CommandRequest) -> None:
    args = request.args
    if not args:
        raise InvalidInput(f"Say which standup: {USAGE}")
    name, rest = args[0], args[1:]
    if not rest:
        with request.services.db.read() as session:
            ceremony = standups.standup(session, team_id=request.team_id, name=name)
            text = participants_answer(ceremony, standups.participants(session, ceremony=ceremony))
        request.reply(text)
        return
    if len(rest) == 1 and rest[0].lower() == "channel":
        user_ids: list[str] = []
    else:
        user_ids = []
        for token in rest:
            user_id = parse_user(token)
            if user_id is None:
                raise InvalidInput(f"`{token[:40]}` is not a person; mention each with @. {USAGE}")
            user_ids.append(user_id)
    with request.services.db.session() as session:
        ceremony = standups.set_participants(
            session, team_id=request.team_id, actor_id=request.user_id, name=name, user_ids=user_ids
        )
        text = participants_answer(ceremony, list(dict.fromkeys(user_ids)), changed=True)
    request.reply(text)
