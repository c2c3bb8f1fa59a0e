"""The audit trail: one row per transition or click, with actor and time."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from storage.models import AuditEvent
from storage.vocabulary import ACTION_TYPES, Action, Gate

_INSERT = insert(AuditEvent)


def record(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    action: Action,
    experiment_id: int | None = None,
    project_id: int | None = None,
    detail: str | None = None,
    gate: Gate | None = None,
    evidence_digest: str | None = None,
) -> None:
    if not isinstance(action, ACTION_TYPES):
        raise TypeError(f"an audit action must be an AuditAction, ProjectAction or Step, not {action!r}")
    # Written on every change: one prebuilt insert, at once, rather than through the unit of work.
    session.connection().execute(
        _INSERT,
        {
            "team_id": team_id,
            "experiment_id": experiment_id,
            "project_id": project_id,
            "actor_id": actor_id,
            "action": str(action),
            "detail": detail,
            "gate": str(gate) if gate is not None else None,
            "evidence_digest": evidence_digest,
        },
    )


def for_experiment(session: Session, *, team_id: str, experiment_id: int) -> Sequence[AuditEvent]:
    return session.exec(
        select(AuditEvent)
        .where(AuditEvent.team_id == team_id, AuditEvent.experiment_id == experiment_id)
        .order_by(col(AuditEvent.created_at), col(AuditEvent.id))
    ).all()


def trail_of_experiments_moved(
    session: Session, *, team_id: str, actions: Collection[str], since: datetime | None, until: datetime
) -> Sequence[AuditEvent]:
    """The `actions` events before `until` of the team's experiments that had one in
    [since, until) (no lower bound when `since` is None), oldest first. Earlier events come too:
    a stage that ends in the window may have started before it."""
    moved = select(AuditEvent.experiment_id).where(
        AuditEvent.team_id == team_id,
        col(AuditEvent.action).in_(actions),
        col(AuditEvent.created_at) < until,
        col(AuditEvent.experiment_id).is_not(None),
    )
    if since is not None:
        moved = moved.where(col(AuditEvent.created_at) >= since)
    return session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.team_id == team_id,
            col(AuditEvent.action).in_(actions),
            col(AuditEvent.created_at) < until,
            col(AuditEvent.experiment_id).in_(moved),
        )
        .order_by(col(AuditEvent.experiment_id), col(AuditEvent.created_at), col(AuditEvent.id))
    ).all()
