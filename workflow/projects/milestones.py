"""A project's milestones (M1, M2…): adding, completing and moving them, and which is next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from storage import projects as queries
from storage.models import Milestone, Project
from storage.types import utcnow
from workflow import vocabulary as v
from workflow.errors import NotFound
from workflow.outcome import Outcome
from workflow.projects.access import active, require_member
from workflow.projects.changes import changed
from workflow.projects.parsing import parse_date, parse_milestone, validate_title


def _milestone(session: Session, project: Project, number: int) -> Milestone:
    assert project.id is not None
    milestone = queries.milestone(session, project_id=project.id, number=number)
    if milestone is None:
        raise NotFound(f"Project {project.name} has no milestone M{number}.")
    return milestone


def add_milestone(
    session: Session, *, team_id: str, actor_id: str, name: str, due: str, title: str, today: date
) -> Milestone:
    project = active(session, team_id=team_id, name=name)
    require_member(session, project, actor_id, "add milestones")
    due_on = parse_date(due, today=today)
    title = validate_title(title)
    assert project.id is not None
    milestone = Milestone(
        team_id=team_id,
        project_id=project.id,
        number=queries.next_milestone_number(session, project_id=project.id),
        title=title,
        due_on=due_on,
        created_by=actor_id,
    )
    session.add(milestone)
    changed(
        session,
        project,
        actor_id=actor_id,
        action=v.ProjectAction.MILESTONE_ADDED,
        detail=f"M{milestone.number} {title} due {due_on.isoformat()}",
    )
    return milestone


def complete_milestone(
    session: Session, *, team_id: str, actor_id: str, name: str, milestone: str
) -> Outcome:
    project = active(session, team_id=team_id, name=name)
    require_member(session, project, actor_id, "change milestones")
    row = _milestone(session, project, parse_milestone(milestone))
    if row.done_at is not None:
        return Outcome(project, changed=False, note=f"M{row.number} is already done.")
    row.done_at = utcnow()
    row.done_by = actor_id
    session.add(row)
    changed(
        session, project, actor_id=actor_id, action=v.ProjectAction.MILESTONE_DONE, detail=f"M{row.number}"
    )
    return Outcome(project)


def move_milestone(
    session: Session, *, team_id: str, actor_id: str, name: str, milestone: str, due: str, today: date
) -> Outcome:
    project = active(session, team_id=team_id, name=name)
    require_member(session, project, actor_id, "change milestones")
    row = _milestone(session, project, parse_milestone(milestone))
    due_on = parse_date(due, today=today)
    if due_on == row.due_on:
        return Outcome(project, changed=False, note=f"M{row.number} is already due {due_on.isoformat()}.")
    old = row.due_on
    row.due_on = due_on
    # A new date earns a new overdue reminder if it passes too.
    row.overdue_reminded_at = None
    session.add(row)
    changed(
        session,
        project,
        actor_id=actor_id,
        action=v.ProjectAction.MILESTONE_MOVED,
        detail=f"M{row.number} {old.isoformat()} → {due_on.isoformat()}",
    )
    return Outcome(project)


def next_open(milestones: Sequence[Milestone]) -> Milestone | None:
    """The open milestone due soonest."""
    return min((m for m in milestones if m.done_at is None), key=lambda m: (m.due_on, m.number), default=None)


def milestone_label(session: Session, milestone_id: int) -> str:
    """`support-bot M2`, for logs and the command line."""
    milestone = session.get(Milestone, milestone_id)
    project = session.get(Project, milestone.project_id) if milestone else None
    if milestone is None or project is None:
        return f"a deleted milestone ({milestone_id})"
    return f"{project.name} M{milestone.number}"
