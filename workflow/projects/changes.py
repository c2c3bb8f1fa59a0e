"""How a project change is recorded: audited against the project, with the project card's
update queued in the same transaction."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from storage import audit
from storage.models import Project
from storage.types import utcnow
from workflow import delivery


class ProjectAction(StrEnum):
    """The `action` of an audit record about a project (AuditAction covers experiments, roles
    and ceremonies); stored as its string value, so existing history reads the same."""

    CREATED = "project:created"
    MEMBER_ADDED = "project:member_added"
    MEMBER_REMOVED = "project:member_removed"
    MILESTONE_ADDED = "project:milestone_added"
    MILESTONE_DONE = "project:milestone_done"
    MILESTONE_MOVED = "project:milestone_moved"
    LINKED = "project:linked"
    UNLINKED = "project:unlinked"
    ARCHIVED = "project:archived"


def changed(session: Session, project: Project, *, actor_id: str, action: str, detail: str | None) -> None:
    project.updated_at = utcnow()
    session.add(project)
    audit.record(
        session,
        team_id=project.team_id,
        project_id=project.id,
        actor_id=actor_id,
        action=action,
        detail=detail,
    )
    delivery.refresh_project(session, project, actor_id=actor_id)
