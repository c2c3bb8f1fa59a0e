"""`/ceremony list` and `/ceremony run`."""

from __future__ import annotations

from bot.blocks.ceremonies import list_view, title
from bot.listeners.commands.router import CommandRequest
from bot.text import channel_mention
from storage.types import utcnow
from workflow import ceremonies, tick
from workflow.errors import InvalidInput


def list_ceremonies(request: CommandRequest) -> None:
    if request.args:
        raise InvalidInput("`/ceremony list` takes nothing after it.")
    with request.services.db.read() as session:
        payload = list_view(ceremonies.list_ceremonies(session, team_id=request.team_id))
    request.reply(payload["text"], payload["blocks"])


def run(request: CommandRequest) -> None:
    if len(request.args) != 1:
        raise InvalidInput("Say which ceremony: `/ceremony run standup` (see `/ceremony list`).")
    with request.services.db.session() as session:
        ceremony = tick.post_now(
            session, team_id=request.team_id, actor_id=request.user_id, name=request.args[0], now=utcnow()
        )
    request.reply(
        f":white_check_mark: Posting *{title(ceremony)}* to {channel_mention(ceremony.channel_id)} now. "
        "If it can't be posted there, your App Home says why."
    )
