"""One scheduler pass: post the ceremony reminders that are due and the nudges, exactly once.

The pass is a function of the database and `now`; it never reads the clock, so tests (and
`python -m bot tick --now ...`) choose the time. Slack is behind a `Poster`, so nothing here
imports Slack, and no transaction is open while a post is in flight.

Exactly once, reminders: a pass claims an occurrence by inserting its `CeremonyRun` (unique on
ceremony and due time) and commits before posting; a pass that loses the insert does nothing.
After the post the run is marked `posted`. A failed post marks it `retrying`, and a later pass
re-claims it with a conditional UPDATE, at most `MAX_ATTEMPTS` times in all, while within the
grace window. A run left `claimed` by a process that died is re-claimed once its lease has
expired. If that process died after Slack accepted the post but before it was recorded, the
reminder is posted twice: we accept that rare duplicate over silently dropping a meeting, and the
lease is far longer than a post can take, so a live pass is never overtaken.

Late and missed: only an occurrence's latest due time counts (five missed standups are not five
posts). Within `grace` of its due time it is posted, marked as late; beyond that it is recorded
as `skipped` and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from storage import ceremonies as runs
from storage.db import Database
from storage.models import Ceremony, CeremonyRun
from workflow import ceremonies, nudges, reminders, schedules
from workflow.nudges import Nudge
from workflow.reminders import Reminder

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Longer than any post can take, Retry-After waits included, so a live claim is never taken over.
CLAIM_LEASE = timedelta(minutes=10)
# Passes run every minute: a reminder posted this soon after its time is on time, not late.
ON_TIME = timedelta(minutes=2)
MISSED = "missed: nothing posted it within the grace window"


class PostFailed(Exception):
    """Slack refused a post; `permanent` when retrying cannot help (e.g. channel gone)."""

    def __init__(self, error: str, *, permanent: bool = False) -> None:
        super().__init__(error)
        self.error = error
        self.permanent = permanent


class Poster(Protocol):
    def reminder(self, reminder: Reminder) -> str:
        """Post the reminder; return its message ts. Raise PostFailed."""

    def nudge(self, nudge: Nudge) -> None:
        """Reply in the experiment's thread. Raise PostFailed."""


@dataclass(frozen=True)
class TickConfig:
    grace: timedelta
    nudge_after: timedelta
    nudge_every: timedelta
    admin_user_ids: Collection[str] = frozenset()

    @property
    def window(self) -> timedelta:
        """How late a reminder may still be posted."""
        return max(self.grace, ON_TIME)


@dataclass
class PassReport:
    posted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    nudged: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class _Due:
    ceremony: Ceremony
    due_at: datetime  # UTC


def _label(ceremony: Ceremony, due_at: datetime) -> str:
    local = due_at.astimezone(schedules.zone(ceremony.timezone))
    return f"{ceremony.team_id}/{ceremony.name} due {local:%Y-%m-%d %H:%M %Z}"


def _due(active: Sequence[Ceremony], now: datetime) -> list[_Due]:
    found = []
    for ceremony in active:
        try:
            tz = schedules.zone(ceremony.timezone)
            latest = schedules.load(ceremony.schedule).latest_at_or_before(
                tz, now, not_before=ceremony.updated_at
            )
        except Exception:
            log.exception("ceremony %s/%s has a broken schedule", ceremony.team_id, ceremony.name)
            continue
        if latest is not None:
            found.append(_Due(ceremony, latest.astimezone(UTC)))
    return found


@dataclass(frozen=True)
class _Claimed:
    run_id: int
    attempts: int
    reminder: Reminder


def _new_run(
    ceremony: Ceremony, due_at: datetime, now: datetime, status: str, **values: object
) -> CeremonyRun:
    assert ceremony.id is not None
    return CeremonyRun(
        team_id=ceremony.team_id,
        ceremony_id=ceremony.id,
        due_at=due_at,
        status=status,
        claimed_at=now,
        **values,
    )


def _claim(
    db: Database, due: _Due, existing: CeremonyRun | None, now: datetime, config: TickConfig
) -> _Claimed | None:
    """Claim the occurrence and build its reminder, or None if it is not ours to post."""
    lateness = now - due.due_at
    with db.session() as session:
        # Re-read: the ceremony may have been paused, moved or removed since the pass began.
        ceremony = session.get(Ceremony, due.ceremony.id)
        if ceremony is None or ceremony.paused:
            return None
        if existing is None:
            if lateness > config.window:
                session.add(_new_run(ceremony, due.due_at, now, runs.SKIPPED, error=MISSED))
                return None
            run = _new_run(ceremony, due.due_at, now, runs.CLAIMED, attempts=1)
            session.add(run)
            session.flush()  # the unique (ceremony, due_at) insert is the claim
            assert run.id is not None
            run_id, attempts = run.id, 1
        else:
            assert existing.id is not None
            if lateness > config.window:
                return None
            reclaimed = runs.reclaim(
                session,
                run_id=existing.id,
                now=now,
                lease_expired_before=now - CLAIM_LEASE,
                max_attempts=MAX_ATTEMPTS,
            )
            if reclaimed is None:
                return None
            run_id, attempts = existing.id, reclaimed
        reminder = reminders.build(session, ceremony, due_at=due.due_at, late=lateness > ON_TIME)
    return _Claimed(run_id, attempts, reminder)


def _deliver(db: Database, poster: Poster, claimed: _Claimed, now: datetime, *, retry: bool) -> str:
    """Post a claimed reminder and record the outcome; re-raises PostFailed once recorded."""
    try:
        ts = poster.reminder(claimed.reminder)
    except PostFailed as error:
        final = not retry or error.permanent or claimed.attempts >= MAX_ATTEMPTS
        with db.session() as session:
            runs.finish(
                session,
                run_id=claimed.run_id,
                status=runs.FAILED if final else runs.RETRYING,
                at=now,
                error=error.error,
            )
        raise
    with db.session() as session:
        runs.finish(session, run_id=claimed.run_id, status=runs.POSTED, at=now, message_ts=ts)
    return ts


def post_reminders(
    db: Database, poster: Poster, *, now: datetime, config: TickConfig, report: PassReport
) -> None:
    with db.session() as session:
        runs.abandon_stale(session, due_before=now - config.window, lease_expired_before=now - CLAIM_LEASE)
        due = _due(runs.active(session), now)
        existing = runs.runs_due(
            session,
            ceremony_ids={d.ceremony.id for d in due if d.ceremony.id is not None},
            due={d.due_at for d in due},
        )
    for item in due:
        assert item.ceremony.id is not None
        run = existing.get((item.ceremony.id, item.due_at))
        if run is not None and run.status in (runs.POSTED, runs.FAILED, runs.SKIPPED):
            continue
        label = _label(item.ceremony, item.due_at)
        try:
            _post_reminder(db, poster, item, run, now=now, config=config, report=report, label=label)
        except Exception:
            # One broken ceremony must not hold up the others. Its run, if claimed, stays
            # claimed and is retried after the lease like a crash.
            log.exception("posting %s failed unexpectedly", label)
            report.failed.append(label)


def _post_reminder(
    db: Database,
    poster: Poster,
    item: _Due,
    run: CeremonyRun | None,
    *,
    now: datetime,
    config: TickConfig,
    report: PassReport,
    label: str,
) -> None:
    try:
        claimed = _claim(db, item, run, now, config)
    except IntegrityError:
        return  # another pass claimed it first
    if claimed is None:
        if run is None and now - item.due_at > config.window:
            log.warning("skipped %s: missed by more than the %s grace window", label, config.grace)
            report.skipped.append(label)
        return
    try:
        _deliver(db, poster, claimed, now, retry=True)
    except PostFailed as error:
        log.warning("could not post %s (attempt %s): %s", label, claimed.attempts, error.error)
        report.failed.append(label)
        return
    log.info("posted %s%s", label, " (late)" if claimed.reminder.late else "")
    report.posted.append(label)


def post_nudges(
    db: Database, poster: Poster, *, now: datetime, config: TickConfig, report: PassReport
) -> None:
    with db.session() as session:
        ids = nudges.candidates(session, now=now, after=config.nudge_after, every=config.nudge_every)
    for experiment_id in ids:
        try:
            _nudge(db, poster, experiment_id, now=now, config=config, report=report)
        except Exception:
            log.exception("nudging experiment %s failed unexpectedly", experiment_id)
            report.failed.append(f"nudge experiment {experiment_id}")


def _nudge(
    db: Database, poster: Poster, experiment_id: int, *, now: datetime, config: TickConfig, report: PassReport
) -> None:
    with db.session() as session:
        claimed = nudges.claim(
            session,
            experiment_id=experiment_id,
            now=now,
            after=config.nudge_after,
            every=config.nudge_every,
            admin_user_ids=config.admin_user_ids,
        )
    if claimed is None:
        return
    try:
        poster.nudge(claimed.nudge)
    except PostFailed as error:
        log.warning("could not nudge experiment %s: %s", experiment_id, error.error)
        report.failed.append(f"nudge experiment {experiment_id}")
        if not error.permanent:
            with db.session() as session:
                nudges.release(session, claimed)
        return
    report.nudged.append(experiment_id)


def run_pass(db: Database, poster: Poster, *, now: datetime, config: TickConfig) -> PassReport:
    """Everything due at `now` (aware), once. Safe to run concurrently with other passes."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    report = PassReport()
    post_reminders(db, poster, now=now, config=config, report=report)
    post_nudges(db, poster, now=now, config=config, report=report)
    return report


def post_now(
    db: Database, poster: Poster, *, team_id: str, actor_id: str, name: str, now: datetime
) -> Reminder:
    """`/ceremony run`: post now, recorded as a run due now (so the next retro counts from it).

    A failed post is recorded as failed and not retried: the person who asked is told and can
    run it again. Raises PostFailed.
    """
    now = now.astimezone(UTC)
    with db.session() as session:
        ceremony = ceremonies.get(session, team_id=team_id, name=name)
        ceremonies.record(
            session, ceremony, actor_id=actor_id, action="ceremony_run", detail="posted on request"
        )
        run = _new_run(ceremony, now, now, runs.CLAIMED, attempts=1)
        session.add(run)
        session.flush()
        assert run.id is not None
        claimed = _Claimed(run.id, 1, reminders.build(session, ceremony, due_at=now, late=False))
    _deliver(db, poster, claimed, now, retry=False)
    return claimed.reminder
