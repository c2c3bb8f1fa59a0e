"""Reading projects: what a project card shows, the listings, a project's history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from storage import projects as queries
from storage import roles as role_queries
from storage.models import AuditEvent, Experiment, Milestone, Project
from storage.types import utcnow
from workflow import vocabulary as v
from workflow.errors import InvalidInput
from workflow.projects.access import get
from workflow.projects.milestones import next_open

LIST_FILTERS = ("mine", "all")


@dataclass(frozen=True)
class Member:
    user_id: str
    roles: Sequence[str]


@dataclass(frozen=True)
class ProjectDetail:
    """A project with everything its card shows."""

    project: Project
    members: Sequence[Member]
    milestones: Sequence[Milestone]
    experiments: Sequence[Experiment]
    today: date

    @property
    def open_milestones(self) -> list[Milestone]:
        return [m for m in self.milestones if m.done_at is None]

    @property
    def next_milestone(self) -> Milestone | None:
        return next_open(self.milestones)

    @property
    def in_production(self) -> int:
        return sum(1 for e in self.experiments if e.status == v.Status.PRODUCTION)


def detail(session: Session, project: Project, *, today: date) -> ProjectDetail:
    assert project.id is not None
    members = [
        Member(m.user_id, sorted(role_queries.roles_of(session, team_id=project.team_id, user_id=m.user_id)))
        for m in queries.members(session, project_id=project.id)
    ]
    return ProjectDetail(
        project=project,
        members=members,
        milestones=queries.milestones(session, project_id=project.id),
        experiments=queries.experiments(session, project_id=project.id),
        today=today,
    )


def active_names(session: Session, *, team_id: str) -> list[str]:
    """The names of the workspace's active projects, for a select."""
    return [p.name for p in queries.listing(session, team_id=team_id)]


def list_projects(session: Session, *, team_id: str, user_id: str, filter: str = "all") -> Sequence[Project]:
    key = filter.strip().lower() or "all"
    if key not in LIST_FILTERS:
        raise InvalidInput(f"Unknown filter `{filter[:20]}`; use `mine` or `all`.")
    return queries.listing(session, team_id=team_id, member_id=user_id if key == "mine" else None)


def history(session: Session, *, team_id: str, name: str) -> tuple[Project, Sequence[AuditEvent]]:
    project = get(session, team_id=team_id, name=name)
    assert project.id is not None
    return project, queries.history(session, team_id=team_id, project_id=project.id)


def project_of(session: Session, experiment: Experiment) -> Project | None:
    assert experiment.id is not None
    found = queries.projects_of_experiment(session, experiment_id=experiment.id)
    return found[0] if found else None


def today_utc(now: datetime | None = None) -> date:
    return (now or utcnow()).date()
