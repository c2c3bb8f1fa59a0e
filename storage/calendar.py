"""Queries over who is away and the workspace's holidays."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlmodel import Session, col, delete, or_, select

from storage.models import Away, Holiday
from storage.statements import rows_changed


def away_of(session: Session, *, team_id: str, user_id: str) -> Away | None:
    return session.exec(select(Away).where(Away.team_id == team_id, Away.user_id == user_id)).first()


def away_on(
    session: Session, *, team_id: str, day: date, user_ids: Collection[str] | None = None
) -> set[str]:
    """Who is away on `day` (their last day counts), among `user_ids` when given."""
    query = select(Away.user_id).where(
        Away.team_id == team_id, or_(col(Away.until).is_(None), col(Away.until) >= day)
    )
    if user_ids is not None:
        if not user_ids:
            return set()
        query = query.where(col(Away.user_id).in_(user_ids))
    return set(session.exec(query).all())


def clear_away(session: Session, *, team_id: str, user_id: str) -> int:
    changed = rows_changed(
        session, delete(Away).where(col(Away.team_id) == team_id, col(Away.user_id) == user_id)
    )
    return changed


def holidays(session: Session, *, team_id: str, from_day: date | None = None) -> Sequence[Holiday]:
    query = select(Holiday).where(Holiday.team_id == team_id)
    if from_day is not None:
        query = query.where(col(Holiday.day) >= from_day)
    return session.exec(query.order_by(col(Holiday.day))).all()


def holiday_on(session: Session, *, team_id: str, day: date) -> Holiday | None:
    return session.exec(select(Holiday).where(Holiday.team_id == team_id, Holiday.day == day)).first()
