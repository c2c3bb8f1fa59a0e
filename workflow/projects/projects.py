"""A project's own changes: creating it, its members, archiving it, where its card is."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import projects as queries
from storage.models import Project, ProjectMember
from storage.types import utcnow
from workflow import experiments
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotFound
from workflow.outcome import Outcome
from workflow.permissions import Policy
from workflow.projects.access import active, require_owner_or_admin
from workflow.projects.changes import changed
from workflow.projects.parsing import DESCRIPTION_MAX_CHARS, refuse_pings, validate_name


def create(
    session: Session,
    *,
    team_id: str,
    owner_id: str,
    name: str,
    workstream: str = v.DEFAULT_WORKSTREAM,
    description: str | None = None,
    members: Collection[str] = (),
    channel_id: str | None = None,
) -> Project:
    """Create a project with its owner as first member, audit it and queue its card."""
    name = validate_name(name)
    workstream = experiments.validate_workstream(workstream)
    if description is not None:
        description = refuse_pings(description.strip())[:DESCRIPTION_MAX_CHARS] or None
    if queries.get_by_name(session, team_id=team_id, name=name) is not None:
        raise InvalidInput(f"There is already a project called `{name}`; choose another name.")
    project = Project(
        team_id=team_id,
        name=name,
        name_key=name.lower(),
        workstream=workstream,
        description=description,
        owner_id=owner_id,
        channel_id=channel_id,
    )
    try:
        with session.begin_nested():
            session.add(project)
            session.flush()
    except IntegrityError:
        raise InvalidInput(f"There is already a project called `{name}`; choose another name.") from None
    assert project.id is not None
    for user_id in dict.fromkeys([owner_id, *members]):
        session.add(ProjectMember(team_id=team_id, project_id=project.id, user_id=user_id, added_by=owner_id))
    changed(
        session, project, actor_id=owner_id, action=v.ProjectAction.CREATED, detail=f"workstream {workstream}"
    )
    return project


def add_members(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    name: str,
    user_ids: Sequence[str],
    policy: Policy,
    workspace_admin: bool = False,
) -> Outcome:
    project = active(session, team_id=team_id, name=name)
    require_owner_or_admin(session, project, actor_id, "add members", policy, workspace_admin)
    assert project.id is not None
    current = {m.user_id for m in queries.members(session, project_id=project.id)}
    added = [u for u in dict.fromkeys(user_ids) if u not in current]
    if not added:
        return Outcome(project, changed=False, note="They are already members; nothing changed.")
    for user_id in added:
        session.add(ProjectMember(team_id=team_id, project_id=project.id, user_id=user_id, added_by=actor_id))
    changed(session, project, actor_id=actor_id, action=v.ProjectAction.MEMBER_ADDED, detail=", ".join(added))
    return Outcome(project)


def remove_member(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    name: str,
    user_id: str,
    policy: Policy,
    workspace_admin: bool = False,
) -> Outcome:
    project = active(session, team_id=team_id, name=name)
    require_owner_or_admin(session, project, actor_id, "remove members", policy, workspace_admin)
    if user_id == project.owner_id:
        raise InvalidInput(f"<@{user_id}> owns {project.name}; the owner stays a member.")
    assert project.id is not None
    member = next((m for m in queries.members(session, project_id=project.id) if m.user_id == user_id), None)
    if member is None:
        raise NotFound(f"<@{user_id}> is not a member of {project.name}; nothing changed.")
    session.delete(member)
    changed(session, project, actor_id=actor_id, action=v.ProjectAction.MEMBER_REMOVED, detail=user_id)
    return Outcome(project)


def archive(
    session: Session, *, team_id: str, actor_id: str, name: str, policy: Policy, workspace_admin: bool = False
) -> Outcome:
    project = active(session, team_id=team_id, name=name)
    require_owner_or_admin(session, project, actor_id, "archive it", policy, workspace_admin)
    project.archived_at = utcnow()
    changed(session, project, actor_id=actor_id, action=v.ProjectAction.ARCHIVED, detail=None)
    return Outcome(project, moved_to="archived")


def record_posted(session: Session, *, project_id: int, ts: str) -> bool:
    """Remember where the project card was posted; False if it was recorded already."""
    return queries.store_card_ts(session, project_id=project_id, ts=ts)
