"""Away and holiday answers: escaped, and a long list stays inside one message."""

from __future__ import annotations

from datetime import date, timedelta

from bot.blocks.calendar import MAX_LISTED, away_confirmation, away_line, holiday_changed, holidays_view
from storage.models import Away, Holiday
from tests.harness import all_text


def test_away_says_until_when_and_escapes_the_reason() -> None:
    assert "through Fri 04 Dec 2026 (&lt;!here&gt;)" in away_confirmation(date(2026, 12, 4), "<!here>")
    line = away_line(Away(team_id="T1", user_id="U1", until=None, reason=None))
    assert "until you say `/aiteam back`" in line


def test_a_holiday_change_names_the_day() -> None:
    holiday = Holiday(team_id="T1", day=date(2026, 12, 25), name="<Christmas>", created_by="U1")
    assert holiday_changed(holiday, added=True).startswith(":white_check_mark: Added the holiday *Fri 25 Dec")
    assert "&lt;Christmas&gt;" in holiday_changed(holiday, added=False)


def test_holidays_list_the_first_ones_then_count_the_rest() -> None:
    days = [
        Holiday(team_id="T1", day=date(2027, 1, 1) + timedelta(days=n), created_by="U1") for n in range(50)
    ]
    payload = holidays_view(days)
    text = all_text(payload["blocks"])
    assert text.count("• ") == MAX_LISTED and f"…and {50 - MAX_LISTED} more." in text
    assert "None ahead" in all_text(holidays_view([])["blocks"])
