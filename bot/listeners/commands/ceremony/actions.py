"""`/ceremony actions [mine]`: the retros' open action items, each with its Done button."""

from __future__ import annotations

from bot.blocks.retros import actions_list
from bot.listeners.commands.router import CommandRequest
from workflow import retros
from workflow.errors import InvalidInput


def actions(request: CommandRequest) -> None:
    args = [a.lower() for a in request.args]
    if args not in ([], ["mine"]):
        raise InvalidInput(
            "`/ceremony actions` lists the open action items; `/ceremony actions mine`, yours."
        )
    mine = args == ["mine"]
    with request.services.db.read() as session:
        notes = retros.open_actions(
            session, team_id=request.team_id, owner_id=request.user_id if mine else None
        )
        payload = actions_list(notes, mine=mine)
    request.reply(payload["text"], payload["blocks"])
