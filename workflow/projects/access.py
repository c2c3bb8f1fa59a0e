"""Finding a project, and who may change it."""

from __future__ import annotations

from sqlmodel import Session

from storage import projects as queries
from storage import roles as role_queries
from storage.models import Project
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.permissions import Policy
from workflow.projects.parsing import NAME_MAX_CHARS


def get(session: Session, *, team_id: str, name: str, for_update: bool = False) -> Project:
    project = queries.get_by_name(session, team_id=team_id, name=name.strip(), for_update=for_update)
    if project is None:
        raise NotFound(
            f"There is no project `{name.strip()[:NAME_MAX_CHARS]}` here. `/project list` shows them."
        )
    return project


def active(session: Session, *, team_id: str, name: str, for_update: bool = True) -> Project:
    project = get(session, team_id=team_id, name=name, for_update=for_update)
    if project.archived_at is not None:
        raise InvalidInput(f"Project {project.name} is archived; its history stays, but it can't change.")
    return project


def is_admin(session: Session, *, team_id: str, user_id: str, policy: Policy) -> bool:
    return user_id in policy.admin_user_ids or role_queries.has_role(
        session, team_id=team_id, user_id=user_id, role=v.Role.ADMIN
    )


def is_member(session: Session, project: Project, user_id: str) -> bool:
    assert project.id is not None
    return queries.is_member(session, project_id=project.id, user_id=user_id)


def require_owner_or_admin(
    session: Session, project: Project, user_id: str, step: str, policy: Policy, workspace_admin: bool
) -> None:
    if (
        user_id != project.owner_id
        and not workspace_admin
        and not is_admin(session, team_id=project.team_id, user_id=user_id, policy=policy)
    ):
        raise NotAllowed(f"Only the owner of {project.name} (<@{project.owner_id}>) or an admin may {step}.")


def needs_workspace_admin(session: Session, *, team_id: str, name: str, user_id: str, policy: Policy) -> bool:
    """Whether an owner-or-admin step on the project turns on the actor being a Slack workspace
    admin or owner: True only when the database says they are neither its owner nor an admin, so
    Slack is asked only then. (An unknown or archived project is refused without asking.)"""
    project = queries.get_by_name(session, team_id=team_id, name=name.strip())
    if project is None or project.archived_at is not None:
        return False
    return user_id != project.owner_id and not is_admin(
        session, team_id=team_id, user_id=user_id, policy=policy
    )


def require_member(session: Session, project: Project, user_id: str, step: str) -> None:
    if not is_member(session, project, user_id):
        raise NotAllowed(
            f"Only members of {project.name} may {step}. Its owner can add you with "
            f"`/project member add {project.name} @you`."
        )
