"""Queries over learnings: an experiment's, a search, those written in a window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from storage.models import Experiment, Learning


def of_experiment(session: Session, *, experiment_id: int) -> Sequence[Learning]:
    return session.exec(
        select(Learning).where(Learning.experiment_id == experiment_id).order_by(col(Learning.id))
    ).all()


def search(
    session: Session, *, team_id: str, words: Sequence[str], limit: int
) -> tuple[Sequence[tuple[Learning, Experiment]], int]:
    """The newest learnings whose text, what-we'd-do-differently or tags contain every word
    (case-insensitive: both sides lowercased, the same on SQLite and PostgreSQL), and how many match."""
    query = select(Learning, Experiment).join(Experiment, col(Experiment.id) == Learning.experiment_id)
    query = query.where(Learning.team_id == team_id)
    for word in words:
        literal = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{literal}%"
        query = query.where(
            or_(
                func.lower(col(Learning.text)).like(pattern, escape="\\"),
                func.lower(func.coalesce(col(Learning.differently), "")).like(pattern, escape="\\"),
                col(Learning.tags).like(pattern, escape="\\"),
            )
        )
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Learning.created_at).desc(), col(Learning.id).desc()).limit(limit))
    return [(learning, experiment) for learning, experiment in rows.all()], count


def written_between(
    session: Session, *, team_id: str, since: datetime, until: datetime
) -> Sequence[tuple[Learning, Experiment]]:
    """Learnings written in [since, until), oldest first."""
    rows = session.exec(
        select(Learning, Experiment)
        .join(Experiment, col(Experiment.id) == Learning.experiment_id)
        .where(
            Learning.team_id == team_id,
            col(Learning.created_at) >= since,
            col(Learning.created_at) < until,
        )
        .order_by(col(Learning.created_at), col(Learning.id))
    )
    return [(learning, experiment) for learning, experiment in rows.all()]
