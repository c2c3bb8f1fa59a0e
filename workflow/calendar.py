"""Away days and holidays: who is not to be asked, and which days no ceremony happens.

- **Away.** `/aiteam away [until YYYY-MM-DD] [reason]` marks a person away until they say
  `/aiteam back`, or through the date given (their last day away, inclusive). Dates are read in
  the workspace's timezone (`DEFAULT_TIMEZONE`). Someone away gets no standup prompt, no
  follow-up and no review nudge, and a standup summary lists them as away.
- **Holidays.** A workspace holiday is a date. A ceremony whose occurrence falls on it, in the
  ceremony's own timezone, is not posted: the scheduler records the run as skipped (so it is
  claimed once, like any other) and `/ceremony list` shows the next date it really happens.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from storage import audit
from storage import calendar as queries
from storage.models import Away, Holiday
from workflow import delivery, schedules
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotFound

REASON_MAX_CHARS = 200
HOLIDAY_NAME_MAX_CHARS = 100


def parse_date(text: str) -> date:
    """`2026-12-24` → a date; anything else is refused with the expected form."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"`{text[:20]}` is not a date; write it as YYYY-MM-DD, e.g. `2026-12-24`."
        ) from None


def today(timezone: str, now: datetime) -> date:
    return now.astimezone(schedules.zone(timezone)).date()


# -- away ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwayRequest:
    until: date | None
    reason: str | None


def parse_away(text: str, *, today: date) -> AwayRequest:
    """`until 2026-12-24 visiting family` → until that date, with a reason; `sick` → a reason only."""
    words = text.split()
    until = None
    if words and words[0].lower() == "until":
        if len(words) < 2:
            raise InvalidInput("Say the last day you are away: `/aiteam away until 2026-12-24`.")
        until = parse_date(words[1])
        if until < today:
            raise InvalidInput(
                f"{until.isoformat()} is in the past (today is {today.isoformat()}); "
                "say the last day you will be away."
            )
        words = words[2:]
    reason = " ".join(words) or None
    if reason is not None and len(reason) > REASON_MAX_CHARS:
        raise InvalidInput(f"The reason is {len(reason)} characters; keep it to {REASON_MAX_CHARS}.")
    return AwayRequest(until, reason)


def set_away(session: Session, *, team_id: str, user_id: str, request: AwayRequest, now: datetime) -> Away:
    away = queries.away_of(session, team_id=team_id, user_id=user_id) or Away(
        team_id=team_id, user_id=user_id
    )
    away.until, away.reason, away.since = request.until, request.reason, now
    session.add(away)
    audit.record(
        session,
        team_id=team_id,
        actor_id=user_id,
        action=v.AuditAction.AWAY,
        detail=f"until {request.until.isoformat()}" if request.until else "until back",
    )
    delivery.refresh_home(session, team_id=team_id, user_id=user_id)
    session.flush()
    return away


def set_back(session: Session, *, team_id: str, user_id: str) -> None:
    if not queries.clear_away(session, team_id=team_id, user_id=user_id):
        raise InvalidInput("You are not marked away; `/aiteam away` marks you away.")
    audit.record(session, team_id=team_id, actor_id=user_id, action=v.AuditAction.BACK)
    delivery.refresh_home(session, team_id=team_id, user_id=user_id)


def away_status(session: Session, *, team_id: str, user_id: str, today: date) -> Away | None:
    """The person's away record, if it still applies on `today`."""
    away = queries.away_of(session, team_id=team_id, user_id=user_id)
    if away is None or (away.until is not None and away.until < today):
        return None
    return away


def away_among(session: Session, *, team_id: str, user_ids: Collection[str], today: date) -> set[str]:
    return queries.away_on(session, team_id=team_id, day=today, user_ids=user_ids)


# -- holidays --------------------------------------------------------------------------------------


def add_holiday(session: Session, *, team_id: str, actor_id: str, day_text: str, name: str | None) -> Holiday:
    day = parse_date(day_text)
    if name is not None and len(name) > HOLIDAY_NAME_MAX_CHARS:
        raise InvalidInput(f"The name is {len(name)} characters; keep it to {HOLIDAY_NAME_MAX_CHARS}.")
    existing = queries.holiday_on(session, team_id=team_id, day=day)
    if existing is not None:
        called = f" ({existing.name})" if existing.name else ""
        raise InvalidInput(f"{day.isoformat()} is already a holiday{called}.")
    holiday = Holiday(team_id=team_id, day=day, name=name, created_by=actor_id)
    session.add(holiday)
    audit.record(
        session,
        team_id=team_id,
        actor_id=actor_id,
        action=v.AuditAction.HOLIDAY_ADDED,
        detail=f"{day} {name or ''}".strip(),
    )
    session.flush()
    return holiday


def remove_holiday(session: Session, *, team_id: str, actor_id: str, day_text: str) -> Holiday:
    day = parse_date(day_text)
    holiday = queries.holiday_on(session, team_id=team_id, day=day)
    if holiday is None:
        raise NotFound(f"{day.isoformat()} is not a holiday; `/ceremony holidays` lists them.")
    audit.record(
        session, team_id=team_id, actor_id=actor_id, action=v.AuditAction.HOLIDAY_REMOVED, detail=str(day)
    )
    session.delete(holiday)
    return holiday


def upcoming_holidays(session: Session, *, team_id: str, today: date) -> Sequence[Holiday]:
    return queries.holidays(session, team_id=team_id, from_day=today)


def holiday_of(session: Session, *, team_id: str, day: date) -> Holiday | None:
    """The holiday on `day`, if any."""
    return queries.holiday_on(session, team_id=team_id, day=day)


def holiday_on(session: Session, *, team_id: str, moment: datetime, timezone: str) -> Holiday | None:
    """The holiday on the date `moment` falls on in `timezone`, if any."""
    return queries.holiday_on(session, team_id=team_id, day=today(timezone, moment))
