"""Managing a workspace's ceremonies: set up the defaults, add, edit, pause, resume, remove, list.

Anyone in the workspace may change ceremonies; every change is audited (who, what, when).
They are the team's own rhythm, changes are easy to see (`/ceremony list`) and to undo, and the
bot only posts where it has been let in.

A change counts from the moment it is made: an occurrence due before the ceremony's latest
change (`updated_at`) is never posted late, so resuming at 09:45 does not post the 09:30 standup.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from storage import audit
from storage import calendar as calendar_queries
from storage import ceremonies as queries
from storage.models import Ceremony, CeremonyRun
from storage.types import utcnow
from workflow import schedules
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotFound

STANDUP = "standup"
EXPERIMENT_REVIEW = "experiment_review"
ETHICS_REVIEW = "ethics_review"
RETROSPECTIVE = "retrospective"
CUSTOM = "custom"

NAME_MAX_CHARS = 40
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
DURATION_MAX_MINUTES = 480
CUSTOM_DURATION_MINUTES = 30


@dataclass(frozen=True)
class Default:
    name: str
    kind: str
    schedule: str
    duration_minutes: int


# What `/ceremony setup` installs. Ethics review and retro fall on the same weeks as each other.
DEFAULTS: tuple[Default, ...] = (
    Default("standup", STANDUP, "weekdays 09:30", 15),
    Default("experiment-review", EXPERIMENT_REVIEW, "weekly wed 14:00", 60),
    Default("ethics-review", ETHICS_REVIEW, "biweekly thu 15:00", 60),
    Default("retro", RETROSPECTIVE, "biweekly fri 16:00", 60),
)


def validate_name(text: str) -> str:
    name = text.strip().lower()
    if len(name) > NAME_MAX_CHARS:
        raise InvalidInput(f"The name is {len(name)} characters; keep it to {NAME_MAX_CHARS}.")
    if not _NAME.match(name):
        raise InvalidInput(
            f"`{text.strip()[:NAME_MAX_CHARS]}` can't be a ceremony name: use one word of letters, "
            "digits, - and _, e.g. `design-sync`."
        )
    return name


def validate_duration(text: str) -> int:
    value = text.strip().lower().removesuffix("min").removesuffix("m")
    if not value.isdigit() or not 1 <= int(value) <= DURATION_MAX_MINUTES:
        raise InvalidInput(f"The duration is in minutes, from 1 to {DURATION_MAX_MINUTES}, e.g. `30`.")
    return int(value)


CLOSE_MAX_MINUTES = 24 * 60


def validate_close(text: str) -> int:
    value = text.strip().lower().removesuffix("min").removesuffix("m")
    if not value.isdigit() or not 1 <= int(value) <= CLOSE_MAX_MINUTES:
        raise InvalidInput(
            f"The close is in minutes after the reminder, from 1 to {CLOSE_MAX_MINUTES}, e.g. `120`."
        )
    return int(value)


def _schedule_text(schedule: schedules.Schedule, timezone: str, now: datetime) -> str:
    return str(schedule.anchored(schedules.zone(timezone), now))


def get(session: Session, *, team_id: str, name: str) -> Ceremony:
    ceremony = queries.by_name(session, team_id=team_id, name=name.strip().lower())
    if ceremony is None:
        raise NotFound(
            f"There is no ceremony called `{name.strip()[:NAME_MAX_CHARS]}`; see `/ceremony list`."
        )
    return ceremony


def record(
    session: Session, ceremony: Ceremony, *, actor_id: str, action: v.AuditAction, detail: str
) -> None:
    """Audit a change to (or a request about) a ceremony."""
    audit.record(
        session,
        team_id=ceremony.team_id,
        actor_id=actor_id,
        action=action,
        detail=f"{ceremony.name}: {detail}",
    )


def _describe(ceremony: Ceremony) -> str:
    local = ", local" if ceremony.local else ""
    return (
        f"{ceremony.schedule} {ceremony.timezone}{local}, {ceremony.duration_minutes} min, "
        f"in {ceremony.channel_id}"
    )


@dataclass(frozen=True)
class SetupResult:
    added: Sequence[Ceremony]
    existing: Sequence[Ceremony]


def setup(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    channel_id: str,
    timezone: str,
    now: datetime | None = None,
) -> SetupResult:
    """Install the default ceremonies that the workspace does not have yet (by name)."""
    now = now or utcnow()
    added, existing = [], []
    for default in DEFAULTS:
        found = queries.by_name(session, team_id=team_id, name=default.name)
        if found is not None:
            existing.append(found)
            continue
        ceremony = Ceremony(
            team_id=team_id,
            name=default.name,
            kind=default.kind,
            channel_id=channel_id,
            schedule=_schedule_text(schedules.load(default.schedule), timezone, now),
            timezone=timezone,
            duration_minutes=default.duration_minutes,
            created_by=actor_id,
            created_at=now,
            updated_at=now,
        )
        session.add(ceremony)
        record(
            session,
            ceremony,
            actor_id=actor_id,
            action=v.AuditAction.CEREMONY_ADDED,
            detail=_describe(ceremony),
        )
        added.append(ceremony)
    session.flush()
    return SetupResult(added=added, existing=existing)


def add(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    name: str,
    channel_id: str,
    schedule_tokens: list[str],
    default_timezone: str,
    now: datetime | None = None,
) -> Ceremony:
    now = now or utcnow()
    name = validate_name(name)
    schedule, timezone = schedules.parse_schedule(schedule_tokens)
    timezone = timezone or default_timezone
    if queries.by_name(session, team_id=team_id, name=name) is not None:
        raise InvalidInput(
            f"There is already a ceremony called `{name}`; change it with `/ceremony edit {name}`."
        )
    ceremony = Ceremony(
        team_id=team_id,
        name=name,
        kind=CUSTOM,
        channel_id=channel_id,
        schedule=_schedule_text(schedule, timezone, now),
        timezone=timezone,
        duration_minutes=CUSTOM_DURATION_MINUTES,
        created_by=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ceremony)
    record(
        session, ceremony, actor_id=actor_id, action=v.AuditAction.CEREMONY_ADDED, detail=_describe(ceremony)
    )
    session.flush()
    return ceremony


EDIT_FIELDS = ("schedule", "timezone", "channel", "duration", "close", "local")


def parse_local(name: str, values: Sequence[str]) -> bool:
    """`local on|off`: whether a standup asks each participant in their own timezone."""
    value = values[0].strip().lower() if len(values) == 1 else ""
    if value not in ("on", "off"):
        shown = " ".join(values)[:40]
        raise InvalidInput(
            f"`local` is `on` (each participant asked at the standup's time in their own timezone) "
            f"or `off` (one time for all), not `{shown}`: `/ceremony edit {name[:NAME_MAX_CHARS]} local on`."
        )
    return value == "on"


def edit(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    name: str,
    field: str,
    values: list[str],
    channel_id: str | None = None,
    now: datetime | None = None,
) -> Ceremony:
    """Change one field. `channel_id` is the already-checked channel for `channel`."""
    now = now or utcnow()
    ceremony = get(session, team_id=team_id, name=name)
    field = field.lower()
    if field == "schedule":
        schedule, timezone = schedules.parse_schedule(values)
        ceremony.timezone = timezone or ceremony.timezone
        ceremony.schedule = _schedule_text(schedule, ceremony.timezone, now)
    elif field == "timezone":
        if len(values) != 1:
            raise InvalidInput(f"Say the timezone: `/ceremony edit {ceremony.name} timezone Europe/Berlin`.")
        ceremony.timezone = schedules.parse_timezone(values[0])
    elif field == "channel":
        if channel_id is None:
            raise InvalidInput(f"Say the channel: `/ceremony edit {ceremony.name} channel #team`.")
        ceremony.channel_id = channel_id
    elif field == "duration":
        if len(values) != 1:
            raise InvalidInput(f"Say the minutes: `/ceremony edit {ceremony.name} duration 30`.")
        ceremony.duration_minutes = validate_duration(values[0])
    elif field == "close" and ceremony.kind == STANDUP:
        if len(values) != 1:
            raise InvalidInput(
                f"Say the minutes after the reminder: `/ceremony edit {ceremony.name} close 120`."
            )
        ceremony.close_minutes = validate_close(values[0])
    elif field == "local" and ceremony.kind == STANDUP:
        ceremony.local = parse_local(ceremony.name, values)
    else:
        raise InvalidInput(
            f"You can edit {', '.join(EDIT_FIELDS)}; e.g. `/ceremony edit {ceremony.name} duration 30`."
        )
    ceremony.updated_at = now
    session.add(ceremony)
    record(
        session, ceremony, actor_id=actor_id, action=v.AuditAction.CEREMONY_EDITED, detail=_describe(ceremony)
    )
    return ceremony


def set_paused(
    session: Session, *, team_id: str, actor_id: str, name: str, paused: bool, now: datetime | None = None
) -> Ceremony:
    ceremony = get(session, team_id=team_id, name=name)
    if ceremony.paused == paused:
        raise InvalidInput(f"`{ceremony.name}` is already {'paused' if paused else 'running'}.")
    ceremony.paused = paused
    ceremony.updated_at = now or utcnow()
    session.add(ceremony)
    record(
        session,
        ceremony,
        actor_id=actor_id,
        action=v.AuditAction.CEREMONY_PAUSED if paused else v.AuditAction.CEREMONY_RESUMED,
        detail=_describe(ceremony),
    )
    return ceremony


def remove(session: Session, *, team_id: str, actor_id: str, name: str) -> Ceremony:
    ceremony = get(session, team_id=team_id, name=name)
    record(
        session,
        ceremony,
        actor_id=actor_id,
        action=v.AuditAction.CEREMONY_REMOVED,
        detail=_describe(ceremony),
    )
    session.delete(ceremony)
    return ceremony


@dataclass(frozen=True)
class Listed:
    ceremony: Ceremony
    next_at: datetime | None  # in the ceremony's timezone; None when paused
    last_run: CeremonyRun | None

    @property
    def last_failure(self) -> CeremonyRun | None:
        """The latest run, when it failed for good (shown in `/ceremony list`)."""
        run = self.last_run
        return run if run is not None and run.status == queries.RunStatus.FAILED else None


# How many holiday-struck occurrences `/ceremony list` looks past for the next real one.
_LOOKAHEAD = 400


def next_real(ceremony: Ceremony, *, now: datetime, holidays: Collection[date]) -> datetime | None:
    """The next occurrence not on a holiday (in the ceremony's timezone); None if none is near."""
    tz = schedules.zone(ceremony.timezone)
    for count, fire in enumerate(schedules.load(ceremony.schedule).occurrences(tz, after=now)):
        if fire.date() not in holidays:
            return fire
        if count >= _LOOKAHEAD:
            break
    return None


def list_ceremonies(session: Session, *, team_id: str, now: datetime | None = None) -> Sequence[Listed]:
    now = now or utcnow()
    # A day of margin: a ceremony's timezone may still be on yesterday.
    since = now.astimezone(UTC).date() - timedelta(days=1)
    holidays = {h.day for h in calendar_queries.holidays(session, team_id=team_id, from_day=since)}
    listed = []
    for ceremony in queries.for_team(session, team_id=team_id):
        next_at = None
        if not ceremony.paused:
            next_at = next_real(ceremony, now=now, holidays=holidays)
        assert ceremony.id is not None
        listed.append(Listed(ceremony, next_at, queries.last_run(session, ceremony_id=ceremony.id)))
    return listed
