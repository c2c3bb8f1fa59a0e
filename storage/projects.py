"""Queries over projects, their members, milestones and linked experiments."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.installations import still_installed
from storage.models import AuditEvent, Experiment, Milestone, Project, ProjectExperiment, ProjectMember
from storage.statements import rows_changed


def get_by_name(session: Session, *, team_id: str, name: str, for_update: bool = False) -> Project | None:
    query = select(Project).where(Project.team_id == team_id, Project.name_key == name.lower())
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def listing(
    session: Session, *, team_id: str, member_id: str | None = None, include_archived: bool = False
) -> Sequence[Project]:
    query = select(Project).where(Project.team_id == team_id)
    if not include_archived:
        query = query.where(col(Project.archived_at).is_(None))
    if member_id is not None:
        query = query.where(
            col(Project.id).in_(select(ProjectMember.project_id).where(ProjectMember.user_id == member_id))
        )
    return session.exec(query.order_by(col(Project.name_key))).all()


def members(session: Session, *, project_id: int) -> Sequence[ProjectMember]:
    return session.exec(
        select(ProjectMember)
        .where(ProjectMember.project_id == project_id)
        .order_by(col(ProjectMember.added_at), col(ProjectMember.id))
    ).all()


def is_member(session: Session, *, project_id: int, user_id: str) -> bool:
    return (
        session.exec(
            select(ProjectMember.id).where(
                ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
            )
        ).first()
        is not None
    )


def milestones(session: Session, *, project_id: int) -> Sequence[Milestone]:
    return session.exec(
        select(Milestone).where(Milestone.project_id == project_id).order_by(col(Milestone.number))
    ).all()


def milestone(session: Session, *, project_id: int, number: int) -> Milestone | None:
    return session.exec(
        select(Milestone).where(Milestone.project_id == project_id, Milestone.number == number)
    ).first()


def next_milestone_number(session: Session, *, project_id: int) -> int:
    """The caller holds the project row locked, so two additions never take the same number."""
    highest = session.exec(select(func.max(Milestone.number)).where(Milestone.project_id == project_id)).one()
    return (highest or 0) + 1


def link_of(session: Session, *, experiment_id: int) -> ProjectExperiment | None:
    return session.exec(
        select(ProjectExperiment).where(ProjectExperiment.experiment_id == experiment_id)
    ).first()


def projects_of_experiment(session: Session, *, experiment_id: int) -> Sequence[Project]:
    return session.exec(
        select(Project)
        .join(ProjectExperiment, col(ProjectExperiment.project_id) == col(Project.id))
        .where(ProjectExperiment.experiment_id == experiment_id)
    ).all()


def experiments(session: Session, *, project_id: int) -> Sequence[Experiment]:
    return session.exec(
        select(Experiment)
        .join(ProjectExperiment, col(ProjectExperiment.experiment_id) == col(Experiment.id))
        .where(ProjectExperiment.project_id == project_id)
        .order_by(col(Experiment.number))
    ).all()


def history(session: Session, *, team_id: str, project_id: int) -> Sequence[AuditEvent]:
    return session.exec(
        select(AuditEvent)
        .where(AuditEvent.team_id == team_id, AuditEvent.project_id == project_id)
        .order_by(col(AuditEvent.created_at), col(AuditEvent.id))
    ).all()


def due_between(
    session: Session,
    *,
    team_id: str,
    first: date | None,
    last: date,
    project_ids: Collection[int] | None = None,
    channel_id: str | None = None,
    limit: int | None = None,
) -> Sequence[tuple[Milestone, Project]]:
    """Open milestones of active projects due from `first` (None: however long ago) to `last`,
    soonest first; only those of projects whose card is in `channel_id` when given."""
    query = (
        select(Milestone, Project)
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .where(
            Milestone.team_id == team_id,
            col(Milestone.done_at).is_(None),
            col(Project.archived_at).is_(None),
            col(Milestone.due_on) <= last,
        )
    )
    if first is not None:
        query = query.where(col(Milestone.due_on) >= first)
    if project_ids is not None:
        query = query.where(col(Project.id).in_(project_ids))
    if channel_id is not None:
        query = query.where(Project.channel_id == channel_id)
    query = query.order_by(col(Milestone.due_on), col(Milestone.id))
    if limit is not None:
        query = query.limit(limit)
    return session.exec(query).all()


def overdue_unreminded(session: Session, *, today: date, limit: int = 100) -> Sequence[Milestone]:
    """Open milestones of active projects past their date with no overdue reminder claimed."""
    return session.exec(
        select(Milestone)
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .where(
            col(Milestone.done_at).is_(None),
            col(Milestone.overdue_reminded_at).is_(None),
            col(Project.archived_at).is_(None),
            col(Milestone.due_on) < today,
            still_installed(Milestone.team_id),
        )
        .order_by(col(Milestone.id))
        .limit(limit)
    ).all()


def claim_overdue_reminder(session: Session, *, milestone_id: int, at: datetime) -> bool:
    """Claim the milestone's one overdue reminder; False if another pass claimed it first."""
    changed = rows_changed(
        session,
        update(Milestone)
        .where(col(Milestone.id) == milestone_id, col(Milestone.overdue_reminded_at).is_(None))
        .values(overdue_reminded_at=at),
    )
    return changed == 1


def store_card_ts(session: Session, *, project_id: int, ts: str) -> bool:
    changed = rows_changed(
        session,
        update(Project)
        .where(col(Project.id) == project_id, col(Project.message_ts).is_(None))
        .values(message_ts=ts),
    )
    return changed == 1
