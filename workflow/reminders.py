"""What a ceremony's reminder says: its focus, and the experiments that make the meeting useful."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import agenda as queries
from storage import ceremonies as runs
from storage.ceremonies import RunStatus
from storage.models import Ceremony, CeremonyRun, Experiment, Learning
from workflow import ceremonies as c
from workflow import insights, learnings, nudges, projects, retros, schedules, standups
from workflow import vocabulary as v
from workflow.projects import MilestoneDue, ProjectStatus

# Listing more than this per section makes a reminder nobody reads; the rest is counted.
ITEMS_PER_SECTION = 10

FOCUS = {
    c.STANDUP: "blockers, progress, help needed",
    c.EXPERIMENT_REVIEW: "review experiments, share learnings",
    c.ETHICS_REVIEW: "review AI decisions, bias checks",
    c.RETROSPECTIVE: "improve processes, celebrate wins",
}

# Experiment review: what is waiting, in the order the meeting should take it.
REVIEW_SECTIONS = (v.Status.IN_REVIEW, v.Status.CHANGES_REQUESTED, v.Status.REVIEWED, v.Status.APPROVED)
# Ethics review: submitted experiments whose ethics review is open.
ETHICS_REVIEW_STATUSES = (v.ReviewState.PENDING, v.ReviewState.CHANGES_REQUESTED)
SUBMITTED_STATUSES = (v.Status.IN_REVIEW, v.Status.CHANGES_REQUESTED, v.Status.REVIEWED)
RETRO_SECTIONS = (v.Status.PRODUCTION, v.Status.REJECTED, v.Status.WITHDRAWN)
# Ethics review: of the experiments whose ethics review is open, those with no bias check yet.
NO_BIAS_CHECK = "ethics_no_bias_check"
# Experiment review: waits that escalated after their nudges, first on the agenda.
ESCALATED = "escalated"


@dataclass(frozen=True)
class Section:
    key: str
    items: Sequence[Experiment]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class Reminder:
    ceremony: Ceremony
    due_at: datetime  # UTC
    late: bool
    sections: Sequence[Section] = field(default_factory=tuple)
    since: datetime | None = None  # retrospective: the window starts here (UTC)
    # Retrospective: the last retro's action items and their state, and older ones still open.
    actions: retros.Carried = field(default_factory=retros.Carried)
    # Experiment review: standup blockers naming an experiment since the last review.
    blocked: Sequence[standups.Blocked] = field(default_factory=tuple)
    # Standup: milestones overdue or due soon, of the projects whose card is in its channel.
    milestones: Sequence[MilestoneDue] = ()
    # Experiment review: a line per active project, and how many active projects there are.
    projects: Sequence[ProjectStatus] = ()
    projects_total: int = 0
    # Experiment review: learnings recorded since the last review, oldest first.
    learnings: Sequence[tuple[Learning, Experiment]] = ()
    # Retrospective: the team's flow since the last retro (its opening line and its chart).
    flow: insights.Flow | None = None

    @property
    def focus(self) -> str | None:
        return FOCUS.get(self.ceremony.kind)


def _review_sections(session: Session, team_id: str) -> list[Section]:
    items, total = queries.escalated(
        session, team_id=team_id, statuses=nudges.NUDGED_STATUSES, limit=ITEMS_PER_SECTION
    )
    sections = [Section(ESCALATED, items, total)] if total else []
    for status in REVIEW_SECTIONS:
        items, total = queries.waiting(session, team_id=team_id, status=status, limit=ITEMS_PER_SECTION)
        sections.append(Section(status, items, total))
    return sections


def _ethics_sections(session: Session, team_id: str) -> list[Section]:
    sections = []
    for status in ETHICS_REVIEW_STATUSES:
        items, total = queries.with_review(
            session,
            team_id=team_id,
            kind=v.ReviewKind.ETHICS,
            review_statuses=(status,),
            experiment_statuses=SUBMITTED_STATUSES,
            limit=ITEMS_PER_SECTION,
        )
        sections.append(Section(f"ethics_{status}", items, total))
    items, total = queries.without_bias_check(
        session,
        team_id=team_id,
        review_statuses=ETHICS_REVIEW_STATUSES,
        experiment_statuses=SUBMITTED_STATUSES,
        limit=ITEMS_PER_SECTION,
    )
    sections.append(Section(NO_BIAS_CHECK, items, total))
    return sections


def retro_since(session: Session, ceremony: Ceremony, due_at: datetime) -> datetime:
    """Since the ceremony's last posted reminder (a retro's, an experiment review's), else since
    one period before this one."""
    assert ceremony.id is not None
    last = runs.last_posted_before(session, ceremony_id=ceremony.id, before=due_at)
    if last is not None:
        return last
    schedule = schedules.load(ceremony.schedule)
    return due_at - timedelta(weeks=2 if schedule.kind == schedules.BIWEEKLY else 1)


def build(session: Session, ceremony: Ceremony, *, due_at: datetime, late: bool) -> Reminder:
    team_id = ceremony.team_id
    # Milestones are dated in the ceremony's own calendar.
    today = due_at.astimezone(schedules.zone(ceremony.timezone)).date()
    if ceremony.kind == c.EXPERIMENT_REVIEW:
        since = retro_since(session, ceremony, due_at)
        blocked = standups.blocked_between(session, team_id=team_id, since=since, until=due_at)
        lines, total = projects.status_lines(session, team_id=team_id, today=today)
        return Reminder(
            ceremony,
            due_at,
            late,
            _review_sections(session, team_id),
            blocked=blocked,
            projects=lines,
            projects_total=total,
            learnings=learnings.written_between(session, team_id=team_id, since=since, until=due_at),
        )
    if ceremony.kind == c.ETHICS_REVIEW:
        return Reminder(ceremony, due_at, late, _ethics_sections(session, team_id))
    if ceremony.kind == c.RETROSPECTIVE:
        since = retro_since(session, ceremony, due_at)
        sections = []
        for status in RETRO_SECTIONS:
            items, total = queries.moved_to(
                session, team_id=team_id, status=status, since=since, until=due_at, limit=ITEMS_PER_SECTION
            )
            sections.append(Section(status, items, total))
        actions = retros.carried(session, ceremony, due_at=due_at)
        flow = insights.flow(session, team_id=team_id, since=since, until=due_at)
        return Reminder(ceremony, due_at, late, sections, since=since, actions=actions, flow=flow)
    if ceremony.kind == c.STANDUP:
        due = projects.standup_milestones(
            session, team_id=team_id, channel_id=ceremony.channel_id, today=today
        )
        return Reminder(ceremony, due_at, late, milestones=due)
    return Reminder(ceremony, due_at, late)


@dataclass(frozen=True)
class RetroChart:
    """What the chart in a retro reminder's thread shows, and where it goes."""

    ceremony: Ceremony
    run: CeremonyRun
    flow: insights.Flow

    @property
    def thread_ts(self) -> str:
        assert self.run.message_ts is not None
        return self.run.message_ts


def retro_chart(session: Session, *, run_id: int) -> RetroChart | None:
    """The flow over the same period as the retro's reminder, once the reminder is posted (the
    chart replies under it); None if it never was."""
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None or run.status != RunStatus.POSTED or run.message_ts is None:
        return None
    since = retro_since(session, ceremony, run.due_at)
    return RetroChart(
        ceremony, run, insights.flow(session, team_id=ceremony.team_id, since=since, until=run.due_at)
    )
