"""Answers about away days and holidays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.blocks import Block, Message, context, message, section
from bot.text import escape
from storage.models import Away, Holiday

MAX_LISTED = 45


def _day(day: date) -> str:
    return f"{day:%a %d %b %Y}"


def away_confirmation(until: date | None, reason: str | None) -> str:
    when = f"through {_day(until)}" if until else "until you say `/aiteam back`"
    why = f" ({escape(reason)})" if reason else ""
    return (
        f":palm_tree: You're away {when}{why}. No standup prompts, follow-ups or review nudges "
        "reach you meanwhile; standup summaries list you as away."
    )


def away_line(away: Away) -> str:
    """The person's own away status, for their App Home."""
    when = f"through {_day(away.until)}" if away.until else "until you say `/aiteam back`"
    why = f" ({escape(away.reason)})" if away.reason else ""
    return f":palm_tree: You're away {when}{why}. `/aiteam back` when you return."


def _holiday_text(holiday: Holiday) -> str:
    return f"*{_day(holiday.day)}*" + (f" {escape(holiday.name)}" if holiday.name else "")


def holiday_changed(holiday: Holiday, *, added: bool) -> str:
    if added:
        return (
            f":white_check_mark: Added the holiday {_holiday_text(holiday)}: no ceremony is posted that day."
        )
    return f":white_check_mark: Removed the holiday {_holiday_text(holiday)}."


def holidays_view(holidays: Sequence[Holiday]) -> Message:
    if not holidays:
        return message(
            "No holidays ahead",
            [section("*Holidays*\nNone ahead. `/ceremony holiday add 2026-12-25 Christmas` adds one.")],
        )
    lines = [f"• {_holiday_text(h)}" for h in holidays[:MAX_LISTED]]
    blocks: list[Block] = [section(f"*Holidays ahead* ({len(holidays)})\n" + "\n".join(lines))]
    if len(holidays) > MAX_LISTED:
        blocks.append(context(f"…and {len(holidays) - MAX_LISTED} more."))
    blocks.append(context("No ceremony is posted on these dates, in each ceremony's own timezone."))
    return message(f"Holidays ahead: {len(holidays)}", blocks)
