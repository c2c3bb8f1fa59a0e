"""What ceremonies, the overdue reminder and App Home show of projects and their milestones."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from storage import projects as queries
from storage.models import Milestone, Project
from workflow import vocabulary as v
from workflow.projects.milestones import next_open
from workflow.projects.reading import ProjectDetail, detail

# The standup lists milestones due within this many days, and every overdue one.
STANDUP_DAYS_AHEAD = 2
# App Home lists milestones due within this many days.
HOME_DAYS_AHEAD = 14
# More lines than this make a reminder nobody reads; the rest is counted.
AGENDA_LIMIT = 10


@dataclass(frozen=True)
class MilestoneDue:
    """An open milestone as a reminder or App Home shows it, with its project."""

    milestone: Milestone
    project: Project
    today: date

    @property
    def days(self) -> int:
        """Days until it is due: 0 today, negative when overdue."""
        return (self.milestone.due_on - self.today).days


@dataclass(frozen=True)
class ProjectStatus:
    """One line of the experiment review: a project's experiments by status, its next milestone."""

    project: Project
    by_status: Sequence[tuple[str, int]]  # in lifecycle order, only statuses with experiments
    next_milestone: Milestone | None
    today: date


def milestones_due(
    session: Session,
    *,
    team_id: str,
    today: date,
    days_ahead: int,
    overdue: bool,
    channel_id: str | None = None,
    project_ids: Collection[int] | None = None,
    limit: int = AGENDA_LIMIT,
) -> list[MilestoneDue]:
    """Open milestones of active projects due from today (or any time before, with `overdue`)
    to `days_ahead` days on, soonest first; of projects whose card is in `channel_id` if given."""
    rows = queries.due_between(
        session,
        team_id=team_id,
        first=None if overdue else today,
        last=today + timedelta(days=days_ahead),
        channel_id=channel_id,
        project_ids=project_ids,
        limit=limit,
    )
    return [MilestoneDue(milestone, project, today) for milestone, project in rows]


def standup_milestones(session: Session, *, team_id: str, channel_id: str, today: date) -> list[MilestoneDue]:
    """What the standup in `channel_id` should hear about: milestones overdue or due within
    STANDUP_DAYS_AHEAD days, of the projects whose card is in that channel."""
    return milestones_due(
        session,
        team_id=team_id,
        today=today,
        days_ahead=STANDUP_DAYS_AHEAD,
        overdue=True,
        channel_id=channel_id,
    )


def status_lines(
    session: Session, *, team_id: str, today: date, limit: int = AGENDA_LIMIT
) -> tuple[list[ProjectStatus], int]:
    """The first `limit` active projects (by name) for the experiment review, and how many there are."""
    active = queries.listing(session, team_id=team_id)
    lines = []
    for project in active[:limit]:
        assert project.id is not None
        counts = Counter(e.status for e in queries.experiments(session, project_id=project.id))
        lines.append(
            ProjectStatus(
                project=project,
                by_status=[(s, counts[s]) for s in v.Status if counts[s]],
                next_milestone=next_open(queries.milestones(session, project_id=project.id)),
                today=today,
            )
        )
    return lines, len(active)


@dataclass(frozen=True)
class MyProject:
    project: Project
    next_milestone: Milestone | None


def projects_of_person(session: Session, *, team_id: str, user_id: str) -> list[MyProject]:
    """The active projects a person is a member of, each with its next open milestone."""
    mine = []
    for project in queries.listing(session, team_id=team_id, member_id=user_id):
        assert project.id is not None
        mine.append(MyProject(project, next_open(queries.milestones(session, project_id=project.id))))
    return mine


def overdue_to_post(
    session: Session, *, milestone_id: int, today: date
) -> tuple[Milestone, ProjectDetail] | None:
    """The overdue reminder as it stands when sent; None if the milestone was done, moved to a
    later date or its project archived meanwhile."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.done_at is not None or milestone.due_on >= today:
        return None
    project = session.get(Project, milestone.project_id)
    if project is None or project.archived_at is not None:
        return None
    return milestone, detail(session, project, today=today)
