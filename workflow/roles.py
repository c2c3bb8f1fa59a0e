"""Team roles: who holds which, and who may change that."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import audit, roles
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.permissions import Policy, may_manage_roles

ROLE_GROUPS = (
    ("Team", v.CORE_ROLES),
    ("Review board", tuple(v.REVIEWER_ROLE.values())),
    ("Production sign-off", v.APPROVER_ROLES),
    ("Administration", (v.Role.ADMIN,)),
)


def valid_roles_text() -> str:
    return "; ".join(f"{title.lower()}: {', '.join(group)}" for title, group in ROLE_GROUPS)


def parse_role(text: str) -> v.Role:
    role = v.parse(v.Role, text.strip().lower().replace("-", "_"))
    if role is None:
        raise InvalidInput(f"`{text[:40]}` is not a role. Valid roles are {valid_roles_text()}.")
    return role


def require_manager(
    session: Session, *, team_id: str, actor_id: str, workspace_admin: bool, policy: Policy
) -> None:
    if not may_manage_roles(
        session, team_id=team_id, user_id=actor_id, workspace_admin=workspace_admin, policy=policy
    ):
        raise not_a_manager()


def not_a_manager() -> NotAllowed:
    return NotAllowed(
        "Only workspace admins and owners, the people in ADMIN_USER_IDS, and holders of the `admin` "
        "role may change roles. `/aiteam roles` shows who holds `admin`."
    )


def grant(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    user_id: str,
    role: str,
    workspace_admin: bool,
    policy: Policy,
) -> bool:
    """Give `user_id` the role; False if they already held it (nothing written)."""
    held = parse_role(role)
    require_manager(
        session, team_id=team_id, actor_id=actor_id, workspace_admin=workspace_admin, policy=policy
    )
    if roles.has_role(session, team_id=team_id, user_id=user_id, role=held):
        return False
    try:
        with session.begin_nested():
            roles.grant(session, team_id=team_id, user_id=user_id, role=held, granted_by=actor_id)
    except IntegrityError:  # granted by someone else a moment ago
        return False
    audit.record(
        session,
        team_id=team_id,
        actor_id=actor_id,
        action=v.AuditAction.ROLE_ADD,
        detail=f"{held} to {user_id}",
    )
    return True


def revoke(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    user_id: str,
    role: str,
    workspace_admin: bool,
    policy: Policy,
) -> bool:
    """Take the role away from `user_id` (True: a role they do not hold is refused)."""
    held = parse_role(role)
    require_manager(
        session, team_id=team_id, actor_id=actor_id, workspace_admin=workspace_admin, policy=policy
    )
    if not roles.revoke(session, team_id=team_id, user_id=user_id, role=held):
        raise NotFound(f"They don't hold `{role}`; nothing changed. `/aiteam roles` shows who holds what.")
    audit.record(
        session,
        team_id=team_id,
        actor_id=actor_id,
        action=v.AuditAction.ROLE_REMOVE,
        detail=f"{held} from {user_id}",
    )
    return True


def roster(session: Session, *, team_id: str) -> dict[str, list[str]]:
    """Every role in the vocabulary's order, with its holders (possibly none)."""
    held: dict[str, list[str]] = {role: [] for role in v.Role}
    for assignment in roles.all_assignments(session, team_id=team_id):
        held.setdefault(assignment.role, []).append(assignment.user_id)
    return held
