"""How a project change is recorded: audited against the project, with the project card's
update queued in the same transaction."""

from __future__ import annotations

from sqlmodel import Session

from storage import audit
from storage.models import Project
from storage.types import utcnow
from workflow import delivery
from workflow import vocabulary as v


def changed(
    session: Session, project: Project, *, actor_id: str, action: v.ProjectAction, detail: str | None
) -> None:
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
