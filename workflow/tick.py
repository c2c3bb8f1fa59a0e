"""One scheduler pass: queue the ceremony reminders that are due and the nudges, exactly once.

The pass is a function of the database and `now`; it never reads the clock, so tests (and
`python -m bot tick --now ...`) choose the time. It talks to nobody: what it decides to say is
queued for delivery (`workflow.delivery`) in the same transaction as the claim, and the
delivery workers post it, retrying as long as it is still worth saying.

Exactly once, reminders: a pass claims an occurrence by inserting its `CeremonyRun` (unique on
ceremony and due time) together with the delivery that will post it; a pass that loses the
insert does nothing. When the delivery is sent, the run is marked `posted` (or `failed` on a
permanent error, or `skipped` if it could not be posted within the grace window).

Late and missed: only an occurrence's latest due time counts (five missed standups are not five
posts). Within `grace` of its due time it is posted, marked as late; beyond that it is recorded
as `skipped` and logged. The same holds when the post itself is delayed: a reminder whose
delivery waited past the grace window (Slack down for an hour) is skipped, not posted stale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from mlplatform.webhooks import MAX_AGE_SECONDS
from storage import ceremonies as runs
from storage import projects as project_queries
from storage import webhooks
from storage.ceremonies import RunStatus
from storage.db import Database
from storage.models import Ceremony, CeremonyRun, Holiday, Milestone, Project
from workflow import (
    calendar,
    ceremonies,
    delivery,
    expiry,
    links,
    nudges,
    reminders,
    retros,
    schedules,
    standups,
)
from workflow import vocabulary as v
from workflow.reminders import Reminder

log = logging.getLogger(__name__)

# Passes run every minute: a reminder posted this soon after its time is on time, not late.
ON_TIME = timedelta(minutes=2)
MISSED = "missed: nothing posted it within the grace window"
PAUSED = "the ceremony was paused or removed before its reminder went out"


def _holiday(holiday: Holiday) -> str:
    return f"holiday: {holiday.day.isoformat()}" + (f" ({holiday.name})" if holiday.name else "")


@dataclass(frozen=True)
class TickConfig:
    grace: timedelta
    nudge_after: timedelta
    nudge_every: timedelta
    admin_user_ids: Collection[str] = frozenset()
    # The workspace's timezone: the dates of `/aiteam away until …` are read in it.
    timezone: str = "UTC"
    # How long a sign-off request may wait before it expires; None: never.
    approval_expires: timedelta | None = None
    # After how many nudges in one status a wait is escalated, and to the holders of which role.
    escalate_after_nudges: int | None = None
    escalate_to: v.Role | None = None
    # How often the ML-platform evidence of waiting experiments is re-read; None: no platform.
    evidence_every: timedelta | None = None

    @property
    def window(self) -> timedelta:
        """How late a reminder may still be posted."""
        return max(self.grace, ON_TIME)


@dataclass
class PassReport:
    queued: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    nudged: list[int] = field(default_factory=list)
    # Milestones whose one overdue reminder this pass claimed.
    overdue: list[int] = field(default_factory=list)
    followed_up: list[int] = field(default_factory=list)  # standup runs
    evidence_reads: int = 0  # experiments whose ML-platform evidence was queued for a re-read
    # `local` standups: prompts asked, and followed up, at each person's own time.
    asked: list[int] = field(default_factory=list)
    prompts_followed_up: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)  # standup runs
    expired: list[int] = field(default_factory=list)  # experiments whose sign-off request expired

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class _Due:
    ceremony: Ceremony
    due_at: datetime  # UTC
    local_day: date | None = None  # a `local` standup's day: its claim


def label(ceremony: Ceremony, due_at: datetime) -> str:
    local = due_at.astimezone(schedules.zone(ceremony.timezone))
    return f"{ceremony.team_id}/{ceremony.name} due {local:%Y-%m-%d %H:%M %Z}"


def _due(active: Sequence[Ceremony], now: datetime) -> list[_Due]:
    found = []
    for ceremony in active:
        if standups.is_local(ceremony):
            continue  # each member's own morning: `queue_local_reminders`
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


def _new_run(ceremony: Ceremony, due_at: datetime, now: datetime, status: str, **values: Any) -> CeremonyRun:
    assert ceremony.id is not None
    return CeremonyRun(
        team_id=ceremony.team_id,
        ceremony_id=ceremony.id,
        due_at=due_at,
        status=status,
        claimed_at=now,
        **values,
    )


def _queue_run(
    session: Session,
    ceremony: Ceremony,
    due_at: datetime,
    now: datetime,
    actor_id: str | None,
    local_day: date | None = None,
) -> None:
    """Insert the run (the claim) and the deliveries that will post it (a retro's with its chart),
    in the caller's transaction."""
    run = _new_run(ceremony, due_at, now, RunStatus.QUEUED, attempts=1, local_day=local_day)
    session.add(run)
    session.flush()  # the unique (ceremony, due_at) insert is the claim
    assert run.id is not None
    delivery.reminder(
        session, team_id=ceremony.team_id, run_id=run.id, channel_id=ceremony.channel_id, actor_id=actor_id
    )
    if ceremony.kind == ceremonies.RETROSPECTIVE:
        # Queued with the reminder, behind it in the run's stream: the chart replies in its thread.
        delivery.retro_chart(session, team_id=ceremony.team_id, run_id=run.id, channel_id=ceremony.channel_id)


def queue_reminders(db: Database, *, now: datetime, config: TickConfig, report: PassReport) -> None:
    with db.read() as session:
        due = _due(runs.active(session), now)
        existing = runs.runs_due(
            session,
            ceremony_ids={d.ceremony.id for d in due if d.ceremony.id is not None},
            due={d.due_at for d in due},
        )
    for item in due:
        assert item.ceremony.id is not None
        if (item.ceremony.id, item.due_at) in existing:
            continue  # claimed by an earlier pass: the queue has it
        name = label(item.ceremony, item.due_at)
        try:
            _claim(db, item, now=now, config=config, report=report, label=name)
        except IntegrityError:
            continue  # another pass claimed it first
        except Exception:
            # One broken ceremony must not hold up the others.
            log.exception("queueing %s failed unexpectedly", name)
            report.failed.append(name)


def queue_local_reminders(db: Database, *, now: datetime, config: TickConfig, report: PassReport) -> None:
    """`local` standups: the reminder of a day is due at its first participant's time, from the
    stored timezones; the run's unique (ceremony, local_day) is the claim."""
    found = []
    with db.read() as session:
        for ceremony in runs.active(session):
            if not standups.is_local(ceremony):
                continue
            try:
                due = standups.local_due(session, ceremony=ceremony, now=now)
                if due is not None and not standups.local_run_exists(session, ceremony=ceremony, day=due.day):
                    found.append(_Due(ceremony, due.first, due.day))
            except Exception:
                log.exception("local standup %s/%s: its due time failed", ceremony.team_id, ceremony.name)
    for item in found:
        name = label(item.ceremony, item.due_at)
        try:
            _claim(db, item, now=now, config=config, report=report, label=name)
        except IntegrityError:
            continue  # another pass claimed it first
        except Exception:
            log.exception("queueing %s failed unexpectedly", name)
            report.failed.append(name)


def _holiday_of(session: Session, ceremony: Ceremony, due_at: datetime, day: date | None) -> Holiday | None:
    """The holiday on the occurrence's date in the ceremony's timezone (a `local` run's own day)."""
    if day is not None:
        return calendar.holiday_of(session, team_id=ceremony.team_id, day=day)
    return calendar.holiday_on(session, team_id=ceremony.team_id, moment=due_at, timezone=ceremony.timezone)


def _claim(
    db: Database, item: _Due, *, now: datetime, config: TickConfig, report: PassReport, label: str
) -> None:
    with db.session() as session:
        # Re-read: the ceremony may have been paused, moved or removed since the pass began.
        ceremony = session.get(Ceremony, item.ceremony.id)
        if ceremony is None or ceremony.paused:
            return
        holiday = _holiday_of(session, ceremony, item.due_at, item.local_day)
        extra = {"local_day": item.local_day}
        if holiday is not None:
            session.add(
                _new_run(ceremony, item.due_at, now, RunStatus.SKIPPED, error=_holiday(holiday), **extra)
            )
            session.flush()
            log.info("skipped %s: %s", label, _holiday(holiday))
            report.skipped.append(label)
            return
        if now - item.due_at > config.window:
            session.add(_new_run(ceremony, item.due_at, now, RunStatus.SKIPPED, error=MISSED, **extra))
            session.flush()
            log.warning("skipped %s: missed by more than the %s grace window", label, config.grace)
            report.skipped.append(label)
            return
        _queue_run(session, ceremony, item.due_at, now, actor_id=None, local_day=item.local_day)
    report.queued.append(label)


def queue_nudges(db: Database, *, now: datetime, config: TickConfig, report: PassReport) -> None:
    with db.read() as session:
        ids = nudges.candidates(session, now=now, after=config.nudge_after, every=config.nudge_every)
    for experiment_id in ids:
        try:
            with db.session() as session:
                experiment = nudges.claim(
                    session,
                    experiment_id=experiment_id,
                    now=now,
                    after=config.nudge_after,
                    every=config.nudge_every,
                    escalate_after=config.escalate_after_nudges,
                )
                if experiment is not None:
                    delivery.nudge(session, experiment, claimed_at=now)
        except Exception:
            log.exception("nudging experiment %s failed unexpectedly", experiment_id)
            report.failed.append(f"nudge experiment {experiment_id}")
            continue
        if experiment is not None:
            report.nudged.append(experiment_id)


def queue_overdue_milestones(db: Database, *, now: datetime, report: PassReport) -> None:
    """One reminder per milestone that passed its date undone, at the first pass after the date.

    The conditional update of `overdue_reminded_at` is the claim, in the same transaction as the
    queued delivery, so concurrent passes post it once."""
    today = now.date()
    with db.read() as session:
        due = [m.id for m in project_queries.overdue_unreminded(session, today=today) if m.id is not None]
    for milestone_id in due:
        try:
            with db.session() as session:
                if not project_queries.claim_overdue_reminder(session, milestone_id=milestone_id, at=now):
                    continue  # another pass claimed it
                milestone = session.get(Milestone, milestone_id)
                project = session.get(Project, milestone.project_id) if milestone else None
                if project is None or project.channel_id is None:
                    continue  # claimed, but there is no card to reply under
                delivery.milestone_overdue(session, project, milestone_id=milestone_id)
            report.overdue.append(milestone_id)
        except Exception:
            log.exception("the overdue reminder of milestone %s failed unexpectedly", milestone_id)
            report.failed.append(f"overdue milestone {milestone_id}")


def _claim_each(
    db: Database, due: Callable[[Session], Iterable[int]], step: Callable[[Session, int], bool]
) -> list[int]:
    """Each due id in a unit of work of its own: the step claims it (so once, across processes and
    passes) and queues what it owes with the claim. Returns the ids the step acted on."""
    with db.read() as session:
        ids = due(session)
    done = []
    for item in ids:
        with db.session() as session:
            if not step(session, item):
                continue  # the claim still commits: a step that no longer applies is done
        done.append(item)
    return done


def queue_standup_steps(db: Database, *, now: datetime, config: TickConfig, report: PassReport) -> None:
    zone = config.timezone
    try:
        report.followed_up += _claim_each(
            db,
            partial(standups.due_followups, now=now),
            partial(standups.follow_up_run, now=now, timezone=zone),
        )
        report.asked += _claim_each(
            db,
            partial(standups.due_local_asks, now=now),
            partial(standups.ask_local_prompt, now=now, timezone=zone),
        )
        report.prompts_followed_up += _claim_each(
            db,
            partial(standups.due_local_followups, now=now),
            partial(standups.follow_up_local_prompt, now=now, timezone=zone),
        )
        report.closed += _claim_each(
            db, partial(standups.due_closes, now=now), partial(standups.close_run, now=now)
        )
    except Exception:
        log.exception("standup follow-ups or closes failed unexpectedly")
        report.failed.append("standup follow-ups and closes")


def expire_signoff_requests(db: Database, *, now: datetime, config: TickConfig, report: PassReport) -> None:
    after = config.approval_expires
    if after is None:
        return
    try:
        report.expired += _claim_each(
            db, partial(expiry.due, now=now, after=after), partial(expiry.expire, now=now, after=after)
        )
    except Exception:
        log.exception("expiring sign-off requests failed unexpectedly")
        report.failed.append("sign-off request expiry")


def run_pass(db: Database, *, now: datetime, config: TickConfig) -> PassReport:
    """Queue everything due at `now` (aware), once. Safe to run concurrently with other passes."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    report = PassReport()
    queue_reminders(db, now=now, config=config, report=report)
    queue_local_reminders(db, now=now, config=config, report=report)
    queue_nudges(db, now=now, config=config, report=report)
    queue_overdue_milestones(db, now=now, report=report)
    queue_standup_steps(db, now=now, config=config, report=report)
    expire_signoff_requests(db, now=now, config=config, report=report)
    queue_evidence_reads(db, now=now, config=config, report=report)
    return report


def queue_evidence_reads(db: Database, *, now: datetime, config: TickConfig, report: PassReport) -> None:
    """Queue re-reading the evidence of experiments waiting on people; the reads happen in the
    delivery workers, so a slow or absent MLflow never holds up a pass."""
    if config.evidence_every is None:
        return
    with db.session(background=True) as session:
        report.evidence_reads = links.read_due(session, every=config.evidence_every, now=now)
        # A receipt older than any timestamp still accepted can never match a delivery again.
        webhooks.forget_before(session, before=now - timedelta(seconds=2 * MAX_AGE_SECONDS))


def post_now(session: Session, *, team_id: str, actor_id: str, name: str, now: datetime) -> Ceremony:
    """`/ceremony run`: queue the reminder now, recorded as a run due now (so the next retro
    counts from it). The person who asked is told in App Home if it can never be posted."""
    now = now.astimezone(UTC)
    ceremony = ceremonies.get(session, team_id=team_id, name=name)
    ceremonies.record(
        session, ceremony, actor_id=actor_id, action=v.AuditAction.CEREMONY_RUN, detail="posted on request"
    )
    _queue_run(session, ceremony, now, now, actor_id=actor_id)
    return ceremony


# -- what the delivery worker asks when it sends a reminder ------------------------------------


def reminder_to_post(
    session: Session, *, run_id: int, now: datetime, config: TickConfig, on_request: bool = False
) -> Reminder | None:
    """The reminder of a queued run as it should read at `now`, or None (recorded) if it should
    no longer be posted: already done, the ceremony paused or removed, its day made a holiday
    since it was queued (unless someone asked for it: `on_request`), or past the grace window."""
    run = session.get(CeremonyRun, run_id)
    if run is None or run.status != RunStatus.QUEUED:
        return None
    ceremony = session.get(Ceremony, run.ceremony_id)
    if ceremony is None or ceremony.paused:
        runs.finish(session, run_id=run_id, status=RunStatus.SKIPPED, at=now, error=PAUSED)
        return None
    if not on_request:
        # The pass checked the day when it claimed the run; a holiday added since (while the
        # reminder waited for its turn, or for Slack) is checked again here.
        holiday = _holiday_of(session, ceremony, run.due_at, run.local_day)
        if holiday is not None:
            runs.finish(session, run_id=run_id, status=RunStatus.SKIPPED, at=now, error=_holiday(holiday))
            log.info("skipped %s at send time: %s", label(ceremony, run.due_at), _holiday(holiday))
            return None
    lateness = now - run.due_at
    if lateness > config.window:
        runs.finish(session, run_id=run_id, status=RunStatus.SKIPPED, at=now, error=MISSED)
        log.warning("skipped %s: its post was delayed past the grace window", label(ceremony, run.due_at))
        return None
    return reminders.build(session, ceremony, due_at=run.due_at, late=lateness > ON_TIME)


def reminder_posted(session: Session, *, run_id: int, ts: str, now: datetime) -> None:
    if runs.finish(session, run_id=run_id, status=RunStatus.POSTED, at=now, message_ts=ts):
        standups.on_reminder_posted(session, run_id=run_id, now=now)
        retros.on_reminder_posted(session, run_id=run_id, now=now)
