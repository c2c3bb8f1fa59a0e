"""The audit trail: one row per transition or click, with actor and time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import AuditEvent


def record(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    action: str,
    experiment_id: int | None = None,
    project_id: int | None = None,
    detail: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        team_id=team_id,
        experiment_id=experiment_id,
        project_id=project_id,
        actor_id=actor_id,
        action=action,
        detail=detail,
    )
    session.add(event)
    return event


def for_experiment(session: Session, *, team_id: str, experiment_id: int) -> Sequence[AuditEvent]:
    return session.exec(
        select(AuditEvent)
        .where(AuditEvent.team_id == team_id, AuditEvent.experiment_id == experiment_id)
        .order_by(col(AuditEvent.created_at), col(AuditEvent.id))
    ).all()
