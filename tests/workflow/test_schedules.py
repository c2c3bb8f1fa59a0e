"""Schedule parsing and occurrence arithmetic: pure, no database, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from workflow import schedules
from workflow.errors import InvalidInput
from workflow.schedules import Schedule, parse_schedule

SYDNEY = ZoneInfo("Australia/Sydney")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("typed", "canonical", "tz"),
    [
        ("daily 09:30", "daily 09:30", None),
        ("weekdays 9:05", "weekdays 09:05", None),
        ("WEEKLY Wednesday 14:00 europe/berlin", "weekly wed 14:00", "Europe/Berlin"),
        (
            "biweekly fri 16:00 from 2026-12-01 Australia/Sydney",
            "biweekly fri 16:00 from 2026-12-04",
            "Australia/Sydney",
        ),
        ("fortnightly thu 23:59", "biweekly thu 23:59", None),
    ],
)
def test_parses_what_people_type(typed: str, canonical: str, tz: str | None) -> None:
    schedule, timezone = parse_schedule(typed.split())
    assert str(schedule) == canonical
    assert timezone == tz
    # What is stored reads back the same.
    assert schedules.load(str(schedule)) == schedule


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Say when"),
        ("hourly 09:30", "Unknown schedule `hourly`"),
        ("weekly funday 10:00", "Unknown day `funday`"),
        ("daily 25:00", "`25:00` is not a time of day"),
        ("daily 09:60", "`09:60` is not a time of day"),
        ("daily nine", "`nine` is not a time of day"),
        ("weekly wed", "Say what time"),
        ("weekly", "Say which day"),
        ("daily 09:30 Mars/Olympus_Mons", "Unknown timezone `Mars/Olympus_Mons`"),
        ("daily 09:30 UTC extra", "only a timezone may follow"),
        ("biweekly fri 16:00 from 2026-13-01", "`2026-13-01` is not a date"),
    ],
)
def test_bad_schedules_say_what_is_wrong(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_schedule(typed.split())
    assert message in caught.value.message


def _local(times: list[datetime], tz: ZoneInfo) -> list[str]:
    return [t.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z") for t in times]


def _take(schedule: Schedule, tz: ZoneInfo, after: datetime, n: int) -> list[datetime]:
    found = []
    for fire in schedule.occurrences(tz, after=after):
        found.append(fire)
        if len(found) == n:
            return found
    return found


def test_weekdays_skip_the_weekend() -> None:
    schedule = schedules.load("weekdays 09:30")
    fires = _take(schedule, SYDNEY, datetime(2026, 11, 27, 0, 0, tzinfo=SYDNEY), 3)  # a Friday
    assert _local(fires, SYDNEY) == [
        "Fri 2026-11-27 09:30 AEDT",
        "Mon 2026-11-30 09:30 AEDT",
        "Tue 2026-12-01 09:30 AEDT",
    ]


def test_wall_clock_time_holds_across_sydney_dst_end() -> None:
    # Daylight saving ends on Sunday 5 April 2026 at 03:00 AEDT.
    fires = _take(schedules.load("daily 09:30"), SYDNEY, datetime(2026, 4, 4, tzinfo=SYDNEY), 3)
    assert _local(fires, SYDNEY) == [
        "Sat 2026-04-04 09:30 AEDT",
        "Sun 2026-04-05 09:30 AEST",
        "Mon 2026-04-06 09:30 AEST",
    ]
    assert [f.astimezone(UTC).hour for f in fires] == [22, 23, 23]


def test_a_time_repeated_at_fall_back_fires_once() -> None:
    # New York repeats 01:00-02:00 on Sunday 1 November 2026.
    fires = _take(schedules.load("daily 01:30"), NEW_YORK, datetime(2026, 10, 31, tzinfo=NEW_YORK), 3)
    assert _local(fires, NEW_YORK) == [
        "Sat 2026-10-31 01:30 EDT",
        "Sun 2026-11-01 01:30 EDT",
        "Mon 2026-11-02 01:30 EST",
    ]


def test_a_time_skipped_at_spring_forward_fires_just_after_the_gap() -> None:
    # New York skips 02:00-03:00 on Sunday 8 March 2026.
    fires = _take(schedules.load("daily 02:30"), NEW_YORK, datetime(2026, 3, 7, tzinfo=NEW_YORK), 3)
    assert _local(fires, NEW_YORK) == [
        "Sat 2026-03-07 02:30 EST",
        "Sun 2026-03-08 03:30 EDT",
        "Mon 2026-03-09 02:30 EDT",
    ]


def test_biweekly_keeps_its_weeks_and_its_wall_clock_time_across_dst() -> None:
    schedule = schedules.load("biweekly fri 16:00 from 2026-10-23")
    fires = _take(schedule, NEW_YORK, datetime(2026, 10, 1, tzinfo=NEW_YORK), 3)
    # Nothing before the anchor; then every other Friday at 16:00 local, EDT then EST.
    assert _local(fires, NEW_YORK) == [
        "Fri 2026-10-23 16:00 EDT",
        "Fri 2026-11-06 16:00 EST",
        "Fri 2026-11-20 16:00 EST",
    ]


def test_biweekly_without_a_date_starts_at_its_next_occurrence() -> None:
    schedule, _ = parse_schedule(["biweekly", "fri", "16:00"])
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    anchored = schedule.anchored(SYDNEY, monday)
    assert anchored.anchor == date(2026, 11, 27)
    assert anchored.at == time(16, 0)
    # Already anchored schedules are left alone.
    assert anchored.anchored(SYDNEY, datetime(2027, 1, 1, tzinfo=UTC)) == anchored


def test_latest_occurrence_is_the_most_recent_one_only() -> None:
    schedule = schedules.load("daily 09:30")
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    latest = schedule.latest_at_or_before(UTC, now, not_before=long_ago)
    assert latest == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    # Exactly on time counts; occurrences before `not_before` do not.
    assert schedule.latest_at_or_before(UTC, latest, not_before=long_ago) == latest
    assert schedule.latest_at_or_before(UTC, now, not_before=datetime(2026, 11, 26, 10, tzinfo=UTC)) is None


def test_timezones_are_matched_case_insensitively_to_their_iana_spelling() -> None:
    assert schedules.parse_timezone("australia/sydney") == "Australia/Sydney"
    assert schedules.parse_timezone("utc") == "UTC"
    with pytest.raises(InvalidInput, match="Unknown timezone"):
        schedules.parse_timezone("../../etc/passwd")
