"""Each member's own morning (`local on`): every participant is asked at the standup's time in
their own timezone.

A pass (which never calls Slack) reads the timezones stored when the bot last looked people up
(`record_members`: when `local on` is set and whenever prompts are sent; unknown: the ceremony's
own) and claims the day's run (unique per ceremony and `local_day`) at the first participant's
time; the reminder goes out then. Its prompts carry each person's `ask_at`; a pass claims each
due one (a conditional update of `asked_at`) with its DM. The close is counted from the last
prompt, and each person's follow-up falls halfway from their prompt to the close.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage import standups as queries
from storage.models import Ceremony
from workflow import ceremonies, schedules
from workflow.standups.people import participants

log = logging.getLogger(__name__)


def is_local(ceremony: Ceremony) -> bool:
    return ceremony.kind == ceremonies.STANDUP and ceremony.local


def record_members(
    session: Session, *, ceremony: Ceremony, zones: dict[str, str | None], now: datetime
) -> None:
    """Remember the participants as just looked up in Slack, with their timezones."""
    assert ceremony.id is not None
    queries.set_members(session, team_id=ceremony.team_id, ceremony_id=ceremony.id, zones=zones, now=now)


def _zone(ceremony: Ceremony, tz: str | None) -> ZoneInfo:
    if tz:
        try:
            return schedules.zone(tz)
        except Exception:
            log.warning("unknown timezone %r: using the ceremony's own", tz)
    return schedules.zone(ceremony.timezone)


def person_time(ceremony: Ceremony, day: date, tz: str | None) -> datetime:
    """When the standup of `day` falls in `tz` (the ceremony's own when unknown), in UTC. Wall-clock
    time there, so each person's daylight-saving changes are their own."""
    zone = _zone(ceremony, tz)
    schedule = schedules.load(ceremony.schedule)
    fire = next(schedule.occurrences(zone, after=datetime.combine(day, time(0), zone)), None)
    if fire is None or fire.date() != day:
        fire = datetime.combine(day, schedule.at, zone)
    return fire.astimezone(UTC)


@dataclass(frozen=True)
class LocalDue:
    day: date  # in the ceremony's timezone
    first: datetime  # the first participant's time, UTC


def local_zones(session: Session, *, ceremony: Ceremony) -> set[str | None]:
    """The timezones of the participants as stored (None: unknown, the ceremony's own)."""
    assert ceremony.id is not None
    known = queries.members(session, ceremony_id=ceremony.id)
    people = participants(session, ceremony=ceremony) or list(known)
    return {known.get(p) for p in people} or {None}


def local_due(session: Session, *, ceremony: Ceremony, now: datetime) -> LocalDue | None:
    """The latest day of a `local` standup whose first participant's time has come (not before the
    ceremony's last change), from the stored timezones."""
    zones = local_zones(session, ceremony=ceremony)
    tz = schedules.zone(ceremony.timezone)
    schedule = schedules.load(ceremony.schedule)
    latest = None
    for fire in schedule.occurrences(tz, after=now - timedelta(days=2)):
        if fire > now + timedelta(days=2):
            break
        first = min(person_time(ceremony, fire.date(), z) for z in zones)
        if ceremony.updated_at <= first <= now:
            latest = LocalDue(fire.date(), first)
    return latest


def local_run_exists(session: Session, *, ceremony: Ceremony, day: date) -> bool:
    assert ceremony.id is not None
    return queries.local_run_of(session, ceremony_id=ceremony.id, day=day) is not None
