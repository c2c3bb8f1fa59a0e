"""`/aiteam away [until YYYY-MM-DD] [reason]` and `/aiteam back`."""

from __future__ import annotations

from bot.blocks.calendar import away_confirmation
from bot.listeners.commands.router import CommandRequest
from storage.types import utcnow
from workflow import calendar
from workflow.errors import InvalidInput


def away(request: CommandRequest) -> None:
    now = utcnow()
    timezone = request.services.settings.default_timezone
    wanted = calendar.parse_away(request.rest, today=calendar.today(timezone, now))
    with request.services.db.session() as session:
        calendar.set_away(session, team_id=request.team_id, user_id=request.user_id, request=wanted, now=now)
    request.reply(away_confirmation(wanted.until, wanted.reason))


def back(request: CommandRequest) -> None:
    if request.args:
        raise InvalidInput("`/aiteam back` takes nothing after it.")
    with request.services.db.session() as session:
        calendar.set_back(session, team_id=request.team_id, user_id=request.user_id)
    request.reply(":wave: Welcome back: standup prompts and review nudges reach you again.")
