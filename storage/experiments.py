"""Queries over experiments and the rows that hang off them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Approval, ChecklistItem, Experiment, Metric, Review, Workspace


def next_number(session: Session, *, team_id: str) -> int:
    """Allocate the next per-workspace experiment number.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite), so concurrent
    proposals in one workspace get distinct numbers.
    """
    bump = (
        update(Workspace)
        .where(col(Workspace.team_id) == team_id)
        .values(experiment_seq=Workspace.experiment_seq + 1)
        .returning(Workspace.experiment_seq)
    )
    number = session.execute(bump).scalar_one_or_none()
    if number is not None:
        return number
    try:
        with session.begin_nested():
            session.add(Workspace(team_id=team_id, experiment_seq=1))
        return 1
    except IntegrityError:
        # Another transaction created the workspace row first; bump theirs.
        return session.execute(bump).scalar_one()


def get_by_number(
    session: Session, *, team_id: str, number: int, for_update: bool = False
) -> Experiment | None:
    query = select(Experiment).where(Experiment.team_id == team_id, Experiment.number == number)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def list_for_team(
    session: Session,
    *,
    team_id: str,
    statuses: Collection[str] | None = None,
    owner_id: str | None = None,
    limit: int = 20,
) -> tuple[Sequence[Experiment], int]:
    """Newest first, at most `limit`, with the total that matched."""
    conditions = [Experiment.team_id == team_id]
    if statuses:
        conditions.append(col(Experiment.status).in_(statuses))
    if owner_id:
        conditions.append(Experiment.owner_id == owner_id)
    total = session.exec(select(func.count()).select_from(Experiment).where(*conditions)).one()
    rows = session.exec(
        select(Experiment).where(*conditions).order_by(col(Experiment.number).desc()).limit(limit)
    ).all()
    return rows, total


def reviews(session: Session, *, experiment_id: int) -> Sequence[Review]:
    return session.exec(
        select(Review).where(Review.experiment_id == experiment_id).order_by(col(Review.id))
    ).all()


def checklist(session: Session, *, experiment_id: int) -> Sequence[ChecklistItem]:
    return session.exec(
        select(ChecklistItem)
        .where(ChecklistItem.experiment_id == experiment_id)
        .order_by(col(ChecklistItem.id))
    ).all()


def approvals(session: Session, *, experiment_id: int) -> Sequence[Approval]:
    return session.exec(
        select(Approval).where(Approval.experiment_id == experiment_id).order_by(col(Approval.id))
    ).all()


def metrics(session: Session, *, experiment_id: int) -> Sequence[Metric]:
    return session.exec(
        select(Metric).where(Metric.experiment_id == experiment_id).order_by(col(Metric.name))
    ).all()


# Thread replies the bot keeps one of per experiment; each column holds the reply's ts.
THREAD_SLOTS = ("review_message_ts", "approval_message_ts", "deployment_message_ts")
_CLAIM = "claim:"


def is_posted(ts: str | None) -> bool:
    return ts is not None and not ts.startswith(_CLAIM)


def claim_slot(
    session: Session, *, experiment_id: int, slot: str, now: datetime, stale_after: timedelta
) -> bool:
    """Take the right to post the reply for `slot`; False if it is posted or another process is posting.

    A claim left by a process that died mid-post expires after `stale_after`.
    """
    if slot not in THREAD_SLOTS:
        raise ValueError(slot)
    column = getattr(Experiment, slot)
    expired = f"{_CLAIM}{(now - stale_after).timestamp():013.3f}"
    result = session.execute(
        update(Experiment)
        .where(
            col(Experiment.id) == experiment_id,
            or_(column.is_(None), and_(column.startswith(_CLAIM), column < expired)),
        )
        .values({slot: f"{_CLAIM}{now.timestamp():013.3f}"})
    )
    return result.rowcount == 1


def fill_slot(session: Session, *, experiment_id: int, slot: str, ts: str | None) -> None:
    """Store the posted reply's ts, or (None) give the claim up so a later publish posts it."""
    if slot not in THREAD_SLOTS:
        raise ValueError(slot)
    session.execute(update(Experiment).where(col(Experiment.id) == experiment_id).values({slot: ts}))
