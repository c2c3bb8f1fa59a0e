"""Queries that fill ceremony reminders and find experiments to nudge."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, exists, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.installations import still_installed
from storage.models import BiasCheck, Experiment, Review
from storage.statements import rows_changed
from storage.vocabulary import ReviewKind


def _page(
    session: Session, query: SelectOfScalar[Experiment], limit: int
) -> tuple[Sequence[Experiment], int]:
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    return session.exec(query.limit(limit)).all(), total


def waiting(session: Session, *, team_id: str, status: str, limit: int) -> tuple[Sequence[Experiment], int]:
    """Experiments in `status`, longest waiting first, with the total."""
    query = (
        select(Experiment)
        .where(Experiment.team_id == team_id, Experiment.status == status)
        .order_by(col(Experiment.status_changed_at), col(Experiment.number))
    )
    return _page(session, query, limit)


def escalated(
    session: Session, *, team_id: str, statuses: Collection[str], limit: int
) -> tuple[Sequence[Experiment], int]:
    """Experiments in `statuses` whose wait was escalated, escalated longest ago first."""
    query = (
        select(Experiment)
        .where(
            col(Experiment.team_id) == team_id,
            col(Experiment.status).in_(statuses),
            col(Experiment.escalated_at).is_not(None),
        )
        .order_by(col(Experiment.escalated_at), col(Experiment.number))
    )
    return _page(session, query, limit)


def count_by_status(session: Session, *, team_id: str, statuses: Collection[str]) -> dict[str, int]:
    """How many of the team's experiments are in each of `statuses` (absent ones count 0)."""
    rows = session.exec(
        select(Experiment.status, func.count())
        .where(Experiment.team_id == team_id, col(Experiment.status).in_(statuses))
        .group_by(col(Experiment.status))
    ).all()
    found = dict(rows)
    return {status: found.get(status, 0) for status in statuses}


def longest_waiting(session: Session, *, team_id: str, statuses: Collection[str]) -> Experiment | None:
    """The experiment that has been in one of `statuses` the longest."""
    return session.exec(
        select(Experiment)
        .where(Experiment.team_id == team_id, col(Experiment.status).in_(statuses))
        .order_by(col(Experiment.status_changed_at), col(Experiment.number))
        .limit(1)
    ).first()


def with_review(
    session: Session,
    *,
    team_id: str,
    kind: str,
    review_statuses: Collection[str],
    experiment_statuses: Collection[str],
    limit: int,
) -> tuple[Sequence[Experiment], int]:
    """Experiments whose `kind` review is in one of `review_statuses`, oldest first."""
    query = (
        select(Experiment)
        .join(Review, col(Review.experiment_id) == col(Experiment.id))
        .where(
            Experiment.team_id == team_id,
            col(Experiment.status).in_(experiment_statuses),
            Review.kind == kind,
            col(Review.status).in_(review_statuses),
        )
        .order_by(col(Experiment.status_changed_at), col(Experiment.number))
    )
    return _page(session, query, limit)


def moved_to(
    session: Session, *, team_id: str, status: str, since: datetime, until: datetime, limit: int
) -> tuple[Sequence[Experiment], int]:
    """Experiments that reached `status` in [since, until), in the order they got there."""
    query = (
        select(Experiment)
        .where(
            Experiment.team_id == team_id,
            Experiment.status == status,
            col(Experiment.status_changed_at) >= since,
            col(Experiment.status_changed_at) < until,
        )
        .order_by(col(Experiment.status_changed_at), col(Experiment.number))
    )
    return _page(session, query, limit)


def _nudge_due(waiting_since_before: datetime, nudged_before: datetime) -> ColumnElement[bool]:
    # A nudge about an earlier status does not count against the current wait.
    return (col(Experiment.status_changed_at) <= waiting_since_before) & or_(
        col(Experiment.last_nudged_at).is_(None),
        col(Experiment.last_nudged_at) < col(Experiment.status_changed_at),
        col(Experiment.last_nudged_at) <= nudged_before,
    )


def nudge_candidates(
    session: Session, *, statuses: Collection[str], waiting_since_before: datetime, nudged_before: datetime
) -> Sequence[int]:
    """Ids of experiments, in every workspace, that have waited long enough to be nudged."""
    return session.exec(
        select(Experiment.id)
        .where(
            col(Experiment.status).in_(statuses),
            col(Experiment.message_ts).is_not(None),
            _nudge_due(waiting_since_before, nudged_before),
            still_installed(Experiment.team_id),
        )
        .order_by(col(Experiment.id))
    ).all()  # type: ignore[return-value]  # ids of stored rows are never None


def claim_nudge(
    session: Session,
    *,
    experiment_id: int,
    status: str,
    now: datetime,
    waiting_since_before: datetime,
    nudged_before: datetime,
) -> bool:
    """Stamp `last_nudged_at` if the experiment still waits and was not nudged meanwhile.

    A conditional UPDATE, so two concurrent passes cannot both nudge the same experiment.
    """
    changed = rows_changed(
        session,
        update(Experiment)
        .where(
            col(Experiment.id) == experiment_id,
            col(Experiment.status) == status,
            _nudge_due(waiting_since_before, nudged_before),
        )
        .values(last_nudged_at=now, nudge_count=col(Experiment.nudge_count) + 1),
    )
    return changed == 1


def without_bias_check(
    session: Session,
    *,
    team_id: str,
    review_statuses: Collection[str],
    experiment_statuses: Collection[str],
    limit: int,
) -> tuple[Sequence[Experiment], int]:
    """Experiments whose ethics review is in one of `review_statuses` and that have no bias check
    recorded, oldest first."""
    query = (
        select(Experiment)
        .join(Review, col(Review.experiment_id) == col(Experiment.id))
        .where(
            Experiment.team_id == team_id,
            col(Experiment.status).in_(experiment_statuses),
            Review.kind == ReviewKind.ETHICS,
            col(Review.status).in_(review_statuses),
            ~exists().where(col(BiasCheck.experiment_id) == col(Experiment.id)),
        )
        .order_by(col(Experiment.status_changed_at), col(Experiment.number))
    )
    return _page(session, query, limit)
