"""Queries over role assignments."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, delete, select

from storage.models import RoleAssignment
from storage.vocabulary import Role


def holders(session: Session, *, team_id: str, role: Role) -> Sequence[str]:
    """User ids holding `role` in the workspace, in the order they got it."""
    return session.exec(
        select(RoleAssignment.user_id)
        .where(RoleAssignment.team_id == team_id, RoleAssignment.role == role)
        .order_by(col(RoleAssignment.granted_at), col(RoleAssignment.id))
    ).all()


def roles_of(session: Session, *, team_id: str, user_id: str) -> set[str]:
    return set(
        session.exec(
            select(RoleAssignment.role).where(
                RoleAssignment.team_id == team_id, RoleAssignment.user_id == user_id
            )
        ).all()
    )


def has_role(session: Session, *, team_id: str, user_id: str, role: Role) -> bool:
    return role in roles_of(session, team_id=team_id, user_id=user_id)


def all_assignments(session: Session, *, team_id: str) -> Sequence[RoleAssignment]:
    return session.exec(
        select(RoleAssignment)
        .where(RoleAssignment.team_id == team_id)
        .order_by(col(RoleAssignment.role), col(RoleAssignment.granted_at))
    ).all()


def grant(session: Session, *, team_id: str, user_id: str, role: Role, granted_by: str) -> RoleAssignment:
    assignment = RoleAssignment(team_id=team_id, user_id=user_id, role=role, granted_by=granted_by)
    session.add(assignment)
    return assignment


def revoke(session: Session, *, team_id: str, user_id: str, role: Role) -> int:
    """Remove the assignment; returns how many rows went (0 or 1)."""
    result = session.exec(
        delete(RoleAssignment).where(
            col(RoleAssignment.team_id) == team_id,
            col(RoleAssignment.user_id) == user_id,
            col(RoleAssignment.role) == role,
        )
    )
    return result.rowcount
