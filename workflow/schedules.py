"""Ceremony schedules as people type them, and when they fall, via APScheduler's triggers.

Grammar: `daily 09:30`, `weekdays 09:30`, `weekly wed 14:00`, `biweekly fri 16:00`, each
optionally followed by an IANA timezone. A bi-weekly schedule is anchored to the date of one
occurrence, kept in its text (`biweekly fri 16:00 from 2026-12-04`) so that the "on" weeks are
visible and stable; `from <date>` may be typed to choose them.

Times are wall-clock times in the ceremony's timezone: 09:30 stays 09:30 local across
daylight-saving changes. A time that does not exist on a spring-forward day fires at the first
instant after the gap (APScheduler's behaviour); a time that happens twice on a fall-back day
fires once, at its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from apscheduler.triggers.cron import CronTrigger

from workflow.errors import InvalidInput

DAILY = "daily"
WEEKDAYS = "weekdays"
WEEKLY = "weekly"
BIWEEKLY = "biweekly"
KINDS = (DAILY, WEEKDAYS, WEEKLY, BIWEEKLY)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    **{d: i for i, d in enumerate(DAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")

SYNTAX = "`daily 09:30`, `weekdays 09:30`, `weekly wed 14:00` or `biweekly fri 16:00`"


@dataclass(frozen=True)
class Schedule:
    kind: str
    at: time
    weekday: int | None = None  # 0 = Monday; weekly and bi-weekly only
    anchor: date | None = None  # bi-weekly only: the date of one "on" occurrence

    def __str__(self) -> str:
        parts = [self.kind]
        if self.weekday is not None:
            parts.append(DAYS[self.weekday])
        parts.append(f"{self.at:%H:%M}")
        if self.anchor is not None:
            parts.append(f"from {self.anchor.isoformat()}")
        return " ".join(parts)

    @property
    def lookback(self) -> timedelta:
        """Longer than the widest gap between two occurrences (plus a DST hour)."""
        return timedelta(days=15 if self.kind == BIWEEKLY else 8)

    def _trigger(self, tz: ZoneInfo) -> CronTrigger:
        day_of_week = {DAILY: "*", WEEKDAYS: "mon-fri"}.get(self.kind)
        if day_of_week is None:
            assert self.weekday is not None
            day_of_week = DAYS[self.weekday]
        start = datetime.combine(self.anchor, time(0), tz) if self.anchor else None
        return CronTrigger(
            day_of_week=day_of_week, hour=self.at.hour, minute=self.at.minute, start_date=start, timezone=tz
        )

    def _is_on(self, fire: datetime) -> bool:
        if self.anchor is not None and ((fire.date() - self.anchor).days // 7) % 2:
            return False
        # The second pass through a repeated (fall-back) hour is the same meeting again.
        return not (fire.fold == 1 and fire.replace(fold=0).utcoffset() != fire.utcoffset())

    def occurrences(self, tz: ZoneInfo, *, after: datetime) -> Iterator[datetime]:
        """Occurrences at or after `after`, in order, as aware datetimes in `tz`."""
        trigger = self._trigger(tz)
        moment = after
        while True:
            fire = trigger.get_next_fire_time(None, moment)
            if fire is None:
                return
            # APScheduler may hand back a wall time that does not exist (in a spring-forward
            # gap); going through UTC names the real instant.
            fire = fire.astimezone(UTC).astimezone(tz)
            if self._is_on(fire):
                yield fire
            moment = fire.astimezone(UTC) + timedelta(seconds=1)

    def next_at_or_after(self, tz: ZoneInfo, now: datetime) -> datetime:
        return next(self.occurrences(tz, after=now))

    def latest_at_or_before(self, tz: ZoneInfo, now: datetime, *, not_before: datetime) -> datetime | None:
        """The most recent occurrence in [not_before, now], if any."""
        latest = None
        for fire in self.occurrences(tz, after=max(not_before, now - self.lookback)):
            if fire > now:
                break
            latest = fire
        return latest

    def anchored(self, tz: ZoneInfo, now: datetime) -> Schedule:
        """A bi-weekly schedule without a date starts at its next occurrence."""
        if self.kind != BIWEEKLY or self.anchor is not None:
            return self
        return replace(self, anchor=self.next_at_or_after(tz, now).date())


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(text: str) -> str:
    """An IANA name, any case (`australia/sydney`), → its canonical spelling."""
    name = _zones().get(text.strip().lower())
    if name is None:
        raise InvalidInput(
            f"Unknown timezone `{text.strip()[:64]}`; use an IANA name such as `Europe/Berlin` or "
            "`Australia/Sydney`."
        )
    return name


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _parse_day(text: str) -> int:
    day = _DAY_NAMES.get(text.lower())
    if day is None:
        raise InvalidInput(f"Unknown day `{text[:20]}`; use mon, tue, wed, thu, fri, sat or sun.")
    return day


def _parse_time(text: str) -> time:
    match = _TIME.match(text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InvalidInput(f"`{text[:20]}` is not a time of day; write it as 24-hour HH:MM, e.g. `09:30`.")
    return time(int(match.group(1)), int(match.group(2)))


def _parse_anchor(text: str, weekday: int) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"`{text[:20]}` is not a date; write it as YYYY-MM-DD.") from None
    # The first matching weekday on or after the date typed.
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def parse_schedule(tokens: list[str]) -> tuple[Schedule, str | None]:
    """`["weekly", "wed", "14:00", "Europe/Berlin"]` → (Schedule, "Europe/Berlin").

    The timezone, when given, is the one token left after the schedule; None when absent.
    """
    if not tokens:
        raise InvalidInput(f"Say when: {SYNTAX}, optionally followed by a timezone.")
    kind = tokens[0].lower().replace("-", "")
    if kind == "fortnightly":
        kind = BIWEEKLY
    if kind not in KINDS:
        raise InvalidInput(f"Unknown schedule `{tokens[0][:20]}`; use {SYNTAX}.")
    rest = tokens[1:]
    weekday = None
    if kind in (WEEKLY, BIWEEKLY):
        if not rest:
            raise InvalidInput(f"Say which day, e.g. `{kind} wed 14:00`.")
        weekday = _parse_day(rest.pop(0))
    if not rest:
        raise InvalidInput(f"Say what time, e.g. `{kind}{' wed' if weekday is not None else ''} 09:30`.")
    at = _parse_time(rest.pop(0))
    anchor = None
    if kind == BIWEEKLY and rest and rest[0].lower() == "from":
        if len(rest) < 2:
            raise InvalidInput("Say the date after `from`, e.g. `biweekly fri 16:00 from 2026-12-04`.")
        assert weekday is not None
        anchor = _parse_anchor(rest[1], weekday)
        rest = rest[2:]
    if len(rest) > 1:
        raise InvalidInput(
            f"I don't understand `{' '.join(rest)[:60]}` after the schedule; only a timezone may follow it."
        )
    timezone = parse_timezone(rest[0]) if rest else None
    return Schedule(kind=kind, at=at, weekday=weekday, anchor=anchor), timezone


def load(text: str) -> Schedule:
    """A schedule as stored (always valid, written by `str(Schedule)`)."""
    schedule, _ = parse_schedule(text.split())
    return schedule
