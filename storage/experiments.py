"""Queries over experiments and the rows that hang off them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BindParameter, and_, bindparam, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from storage.models import (
    Approval,
    AuditEvent,
    ChecklistItem,
    Experiment,
    Metric,
    ProjectExperiment,
    Review,
    Workspace,
)
from storage.unit import side_engine
from storage.vocabulary import Status


def next_number(session: Session, *, team_id: str) -> int:
    """Allocate the next per-workspace experiment number.

    The UPDATE takes the workspace's row lock (PostgreSQL) or the write lock (SQLite), so
    concurrent proposals in one workspace get distinct numbers. On PostgreSQL the number is
    taken in a transaction of its own, committed at once: held to the end of the proposal's
    transaction, the row lock would make every proposal in the workspace wait for the whole
    of the one before. A proposal that fails after this leaves a gap in the numbers. SQLite
    lets one writer in at a time anyway, so there it stays in the proposal's transaction.
    """
    # For: the workspace row lock held for one UPDATE, not for the whole proposal (PostgreSQL).
    # Measured: no figure of its own (43dcf8e, with other hot-path changes under bench.load).
    side = side_engine(session)
    if side is None:
        return _bump(session, team_id)
    with Session(side) as own:
        number = _bump(own, team_id)
        own.commit()
    return number


_BUMP = (
    update(Workspace)
    .where(col(Workspace.team_id) == bindparam("team"))
    .values(experiment_seq=col(Workspace.experiment_seq) + 1)
    .returning(col(Workspace.experiment_seq))
)


def _bump(session: Session, team_id: str) -> int:
    number = session.connection().execute(_BUMP, {"team": team_id}).scalar_one_or_none()
    if number is not None:
        return number
    try:
        with session.begin_nested():
            session.add(Workspace(team_id=team_id, experiment_seq=1))
        return 1
    except IntegrityError:
        # Another transaction created the workspace row first; bump theirs.
        return session.connection().execute(_BUMP, {"team": team_id}).scalar_one()


# Proposing is the busiest write: its inserts are built once and run without the ORM's unit of
# work, whose bookkeeping would otherwise be most of the time SQLite's write lock is held.
# Measured (0d4eeea): CPU per proposal in one thread 1.57 -> 0.98 ms; lock held under load 3.1 -> 1.8 ms.
_EXPERIMENT_COLUMNS = tuple(c.name for c in Experiment.__table__.columns if c.name != "id")  # type: ignore[attr-defined]
_INSERT_EXPERIMENT = insert(Experiment).returning(col(Experiment.id))
_INSERT_REVIEW = insert(Review)


def insert_with_reviews(session: Session, experiment: Experiment, *, review_kinds: Sequence[str]) -> None:
    """Insert a new experiment and one pending review per kind; `experiment` gets its id and
    joins the session as a persistent row."""
    connection = session.connection()
    values = {name: getattr(experiment, name) for name in _EXPERIMENT_COLUMNS}
    experiment.id = connection.execute(_INSERT_EXPERIMENT, values).scalar_one()
    connection.execute(
        _INSERT_REVIEW,
        [
            {"team_id": experiment.team_id, "experiment_id": experiment.id, "kind": kind}
            for kind in review_kinds
        ],
    )
    make_transient_to_detached(experiment)
    session.add(experiment)


def _finished_query(*, of_project: bool) -> Select[str, datetime, datetime, datetime | None]:
    reached_at = (
        select(AuditEvent.experiment_id, AuditEvent.created_at)
        .where(AuditEvent.team_id == bindparam("team_id"), AuditEvent.action == bindparam("reached"))
        .subquery()
    )
    query = (
        select(
            Experiment.status,
            Experiment.created_at,
            Experiment.status_changed_at,
            reached_at.c.created_at,
        )
        .outerjoin(reached_at, and_(reached_at.c.experiment_id == Experiment.id))
        .where(
            Experiment.team_id == bindparam("team_id"),
            Experiment.workstream == bindparam("workstream"),
            col(Experiment.status).in_(bindparam("statuses", expanding=True)),
        )
    )
    if of_project:
        query = query.join(
            ProjectExperiment, col(ProjectExperiment.experiment_id) == col(Experiment.id)
        ).where(ProjectExperiment.project_id == bindparam("project_id"))
    return query


# Read on every proposal (its estimate): built once, over the (team, workstream, status) index.
# Measured (71d94b7): 1.3 ms per proposal at 6,000 experiments -> 0.13 ms.
_FINISHED = {of_project: _finished_query(of_project=of_project) for of_project in (False, True)}


def finished_in_workstream(
    session: Session,
    *,
    team_id: str,
    workstream: str,
    statuses: Collection[str],
    reached_action: str,
    project_id: int | None = None,
) -> Sequence[tuple[str, datetime, datetime, datetime | None]]:
    """(status, proposed at, status changed at, reached `reached_action` at) of the workstream's
    experiments in `statuses`, of one project if given: columns, not whole rows."""
    params: dict[str, object] = {
        "team_id": team_id,
        "workstream": workstream,
        "statuses": list(statuses),
        "reached": reached_action,
    }
    if project_id is not None:
        params["project_id"] = project_id
    return session.exec(_FINISHED[project_id is not None], params=params).all()


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
    conditions = [col(Experiment.team_id) == team_id]
    if statuses:
        conditions.append(col(Experiment.status).in_(statuses))
    if owner_id:
        conditions.append(col(Experiment.owner_id) == owner_id)
    total = session.exec(select(func.count()).select_from(Experiment).where(*conditions)).one()
    rows = session.exec(
        select(Experiment).where(*conditions).order_by(col(Experiment.number).desc()).limit(limit)
    ).all()
    return rows, total


# The rows hanging off one experiment, read on every render of its card: built once.
_EXPERIMENT_ID: BindParameter[int] = bindparam("experiment_id")
_REVIEWS = select(Review).where(Review.experiment_id == _EXPERIMENT_ID).order_by(col(Review.id))
_CHECKLIST = (
    select(ChecklistItem).where(ChecklistItem.experiment_id == _EXPERIMENT_ID).order_by(col(ChecklistItem.id))
)
_APPROVALS = select(Approval).where(Approval.experiment_id == _EXPERIMENT_ID).order_by(col(Approval.id))
_METRICS = select(Metric).where(Metric.experiment_id == _EXPERIMENT_ID).order_by(col(Metric.name))


# An experiment and its reviews in one read (the card's render): every experiment has reviews,
# but an outer join keeps one that somehow had none.
# Measured: no figure of its own (337bb9e); with the CPU work, a proposal and its card 7.0 -> 4.9 ms.
_WITH_REVIEWS = (
    select(Experiment, Review)
    .outerjoin(Review, col(Review.experiment_id) == col(Experiment.id))
    .where(col(Experiment.id) == _EXPERIMENT_ID)
    .order_by(col(Review.id))
)


def with_reviews(session: Session, *, experiment_id: int) -> tuple[Experiment | None, list[Review]]:
    """The experiment (None if there is none) and its reviews, in one query."""
    rows = session.exec(_WITH_REVIEWS, params={"experiment_id": experiment_id}).all()
    if not rows:
        return None, []
    return rows[0][0], [review for _, review in rows if review is not None]


def reviews(session: Session, *, experiment_id: int) -> Sequence[Review]:
    return session.exec(_REVIEWS, params={"experiment_id": experiment_id}).all()


def checklist(session: Session, *, experiment_id: int) -> Sequence[ChecklistItem]:
    return session.exec(_CHECKLIST, params={"experiment_id": experiment_id}).all()


def approvals(session: Session, *, experiment_id: int) -> Sequence[Approval]:
    return session.exec(_APPROVALS, params={"experiment_id": experiment_id}).all()


def metrics(session: Session, *, experiment_id: int) -> Sequence[Metric]:
    return session.exec(_METRICS, params={"experiment_id": experiment_id}).all()


class Slot(StrEnum):
    """The messages the bot keeps one of per experiment; each value is the column holding its ts."""

    CARD = "message_ts"
    REVIEW = "review_message_ts"
    SIGNOFF = "approval_message_ts"
    DEPLOYMENT = "deployment_message_ts"


# One statement per slot, built once: the worker stores a ts after every post.
_STORE_TS = {
    slot: update(Experiment)
    .where(col(Experiment.id) == bindparam("experiment_id"), getattr(Experiment, slot.value).is_(None))
    .values({slot.value: bindparam("ts")})
    for slot in Slot
}


def store_ts(session: Session, *, experiment_id: int, slot: Slot, ts: str) -> bool:
    """Record where a message was posted, unless one is recorded already (False then)."""
    result = session.connection().execute(_STORE_TS[slot], {"experiment_id": experiment_id, "ts": ts})
    return result.rowcount == 1


def signoff_requests_before(session: Session, *, before: datetime) -> Sequence[int]:
    """Experiments waiting for sign-off since before `before` (any workspace), oldest first."""
    return session.exec(
        select(Experiment.id)
        .where(col(Experiment.status) == Status.APPROVED, col(Experiment.status_changed_at) <= before)
        .order_by(col(Experiment.status_changed_at))
    ).all()  # type: ignore[return-value]


def lock(session: Session, *, experiment_id: int) -> Experiment | None:
    """The experiment, locked for this transaction and read afresh: a step that another pass may
    take at the same moment checks its state only after the lock."""
    return session.exec(
        select(Experiment)
        .where(col(Experiment.id) == experiment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
