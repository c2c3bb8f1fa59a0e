"""`/aiteam notify off|on`: the DMs about one's own experiments."""

from __future__ import annotations

from bot.blocks.notifications import notify_answer
from bot.listeners.commands.router import CommandRequest
from workflow import delivery, notifications


def notify(request: CommandRequest) -> None:
    on = notifications.parse_choice(request.rest)
    with request.services.db.session() as session:
        changed = notifications.set_owner_dms(
            session, team_id=request.team_id, user_id=request.user_id, on=on
        )
        if changed:
            # App Home shows the choice.
            delivery.refresh_home(session, team_id=request.team_id, user_id=request.user_id)
    request.reply(notify_answer(on, changed=changed))
