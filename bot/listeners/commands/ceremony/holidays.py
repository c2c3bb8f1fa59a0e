"""`/ceremony holiday add <YYYY-MM-DD> [name]`, `/ceremony holiday remove <YYYY-MM-DD>`,
`/ceremony holidays`."""

from __future__ import annotations

from bot.blocks.calendar import holiday_changed, holidays_view
from bot.listeners.commands.router import CommandRequest
from storage.types import utcnow
from workflow import calendar
from workflow.errors import InvalidInput

USAGE = "`/ceremony holiday add 2026-12-25 [name]` or `/ceremony holiday remove 2026-12-25`"


def holiday(request: CommandRequest) -> None:
    args = request.args
    if len(args) < 2 or args[0].lower() not in ("add", "remove"):
        raise InvalidInput(f"Use {USAGE}.")
    verb, day = args[0].lower(), args[1]
    with request.services.db.session() as session:
        if verb == "add":
            name = " ".join(args[2:]) or None
            found = calendar.add_holiday(
                session, team_id=request.team_id, actor_id=request.user_id, day_text=day, name=name
            )
        else:
            if len(args) != 2:
                raise InvalidInput(f"Say only the date: {USAGE}.")
            found = calendar.remove_holiday(
                session, team_id=request.team_id, actor_id=request.user_id, day_text=day
            )
        text = holiday_changed(found, added=verb == "add")
    request.reply(text)


def holidays(request: CommandRequest) -> None:
    if request.args:
        raise InvalidInput("`/ceremony holidays` takes nothing after it.")
    today = calendar.today(request.services.settings.default_timezone, utcnow())
    with request.services.db.read() as session:
        payload = holidays_view(calendar.upcoming_holidays(session, team_id=request.team_id, today=today))
    request.reply(payload["text"], payload["blocks"])
