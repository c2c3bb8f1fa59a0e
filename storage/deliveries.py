"""Queries over the delivery queue and the per-channel pace rows.

The claim is the heart of it: a row is claimable when it is the oldest undelivered row of its
stream, due, and either pending or left `sending` by a claimant whose lease ran out. PostgreSQL
claims with `FOR UPDATE SKIP LOCKED`, so concurrent workers pass over each other's rows; SQLite
serialises writers, so the same statement inside its write transaction is just as exclusive.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    exists,
    func,
    or_,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import WAITING_KEY, ChannelPace, Delivery
from storage.statements import rows_changed
from storage.types import utcnow
from storage.unit import mark_enqueued


class State(StrEnum):
    PENDING = "pending"  # waiting for its turn (or for its retry time)
    SENDING = "sending"  # claimed by a worker until `claimed_until`
    DELIVERED = "delivered"  # done (or nothing was left to send)
    FAILED = "failed"  # a permanent error; kept for people to see, retry or drop


UNDELIVERED = (State.PENDING, State.SENDING)


def _enqueue_statement(insert: Callable[..., Any]) -> Any:
    statement = insert(Delivery.__table__)  # type: ignore[attr-defined]
    # The partial unique index on waiting rows' keys decides, race-free. On a conflict the
    # waiting row is touched, not skipped: that locks it until this transaction commits, so no
    # worker claims and renders it before the change it now covers is there to see.
    return statement.on_conflict_do_update(
        index_elements=["coalesce_key"],
        index_where=text(WAITING_KEY),
        set_={"updated_at": statement.excluded.updated_at},
    )


# One statement per dialect, built once: the proposal path queued its card through the ORM.
# Measured (5363e06, with the number and estimate statements): a proposal's CPU 4.5 -> 2.4 ms.
_ENQUEUE = {"postgresql": _enqueue_statement(pg_insert), "sqlite": _enqueue_statement(sqlite_insert)}
_INSERT = Delivery.__table__.insert()  # type: ignore[attr-defined]


# For: queued on every change; a Delivery model cost more to build than its insert to run.
# Measured: no figure of its own (fcc8c12); with the CPU work, a proposal and its card 7.0 -> 4.9 ms.
@dataclass(frozen=True, slots=True)
class Intent:
    """What a change owes Slack, as a new queue row gets it from its cause; the row starts
    pending, with no attempts. Plain values: queued on every change, a model instance would
    cost more to build than the insert costs to run."""

    team_id: str
    kind: str
    stream: str
    subject_id: int | None = None
    channel_id: str | None = None
    user_id: str | None = None
    args: str | None = None
    coalesce_key: str | None = None
    actor_id: str | None = None


_INTENT_FIELDS = tuple(f.name for f in fields(Intent))


def enqueue(session: Session, intent: Intent) -> None:
    """Queue `intent`, or let the waiting row with its coalesce key cover it. Rows are inserted
    at once, so a change's intents take their places in their streams in the order it queued
    them."""
    mark_enqueued(session, intent.kind)
    now = utcnow()
    values = {name: getattr(intent, name) for name in _INTENT_FIELDS}
    values |= {"state": State.PENDING, "attempts": 0, "created_at": now, "updated_at": now}
    connection = session.connection()
    statement = _INSERT if intent.coalesce_key is None else _ENQUEUE[connection.dialect.name]
    connection.execute(statement, values)


# Built once: building a statement costs more than running it against an index, and these run
# on every claim. Values come in as bound parameters.
# Measured (5ae28a9): before, a claim read the whole backlog: 2.5 ms at 100 waiting rows, 4.4 at 500.
_EARLIER = aliased(Delivery)
_BLOCKED = exists().where(
    col(_EARLIER.stream) == col(Delivery.stream),
    col(_EARLIER.id) < col(Delivery.id),
    col(_EARLIER.state).in_(UNDELIVERED),
)


@lru_cache(maxsize=32)
def _heads(
    *, expired: bool, paced: frozenset[str], full: bool, skip: bool, lock: bool
) -> SelectOfScalar[Delivery]:
    """Stream heads among pending rows that are due, or (`expired`) among rows whose claimant's
    lease ran out. Each walks `ix_delivery_state_id` in id order and stops at `limit`, so a
    claim costs the same whatever the backlog."""
    now: BindParameter[datetime] = bindparam("now")
    conditions: list[ColumnElement[bool]]
    if expired:
        conditions = [col(Delivery.state) == State.SENDING, col(Delivery.claimed_until) < now]
    else:
        conditions = [
            col(Delivery.state) == State.PENDING,
            or_(col(Delivery.not_before).is_(None), col(Delivery.not_before) <= bindparam("due")),
        ]
    conditions.append(~_BLOCKED)
    if paced:
        waiting = [col(ChannelPace.paused_until) > now]
        if full:
            waiting.append(col(ChannelPace.theoretical_at) > bindparam("full_until"))
        held = exists().where(
            col(ChannelPace.team_id) == col(Delivery.team_id),
            col(ChannelPace.channel_id) == col(Delivery.channel_id),
            or_(*waiting),
        )
        # A fixed set, so one `=` per kind rather than an expanding IN, which SQLAlchemy
        # rewrites on every execution.
        is_paced = or_(*(col(Delivery.kind) == kind for kind in sorted(paced)))
        conditions.append(~and_(is_paced, held))
    if skip:
        conditions.append(
            or_(
                col(Delivery.channel_id).is_(None),
                col(Delivery.channel_id).not_in(bindparam("skip_channels", expanding=True)),
            )
        )
    query = select(Delivery).where(*conditions).order_by(col(Delivery.id)).limit(bindparam("limit"))
    if lock:
        query = query.with_for_update(skip_locked=True, of=Delivery)
    return query


def ready_heads(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lock: bool,
    paced_kinds: Collection[str] = (),
    full_until: datetime | None = None,
    skip_channels: Collection[str] = (),
    expired: bool = True,
    due: datetime | None = None,
) -> Sequence[Delivery]:
    """Due rows that are first in their stream, oldest first; with `lock` (a claim), locked
    against other claimers: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, while SQLite's write
    transaction is exclusive already. With `expired`, rows left `sending` by a claimant whose
    lease ran out count as due.

    Rows of `paced_kinds` are left out while their channel is paused, or while its bucket is
    empty (its theoretical time is past `full_until`), so a busy channel's backlog never
    crowds the other channels' rows out of the batch.

    `due` (default `now`): pending rows count as due when their retry time is not after it; a
    `tick` passes the time it began, so a row it failed is not tried again before it ends.
    """
    params: dict[str, object] = {"now": now, "due": due or now, "limit": limit}
    if full_until is not None:
        params["full_until"] = full_until
    if skip_channels:
        params["skip_channels"] = sorted(skip_channels)
    # For: concurrent claimers on PostgreSQL pass over each other's rows instead of queueing.
    # Measured: no figure; SQLite's exclusive write transaction needs no lock clause at all.
    lock = lock and session.get_bind().dialect.name != "sqlite"
    rows: list[Delivery] = []
    for of_expired in (False, True) if expired else (False,):
        statement = _heads(
            expired=of_expired,
            paced=frozenset(paced_kinds),
            full=full_until is not None,
            skip=bool(skip_channels),
            lock=lock,
        )
        rows.extend(session.execute(statement, params).scalars())
    return sorted(rows, key=lambda row: row.id or 0)[:limit]


def sending_per_channel(session: Session, *, channels: Collection[str], now: datetime) -> dict[str, int]:
    """How many rows each of these channels has in flight (claimed, lease running)."""
    if not channels:
        return {}
    rows = session.exec(
        select(Delivery.channel_id, func.count())
        .where(
            col(Delivery.channel_id).in_(channels),
            col(Delivery.state) == State.SENDING,
            col(Delivery.claimed_until) >= now,
        )
        .group_by(col(Delivery.channel_id))
    ).all()
    return {channel: count for channel, count in rows if channel is not None}


class _Claimed(NamedTuple):
    """What a claim sets, by column: the prebuilt UPDATE takes each from a parameter named
    `to_<column>`, and the loaded row is brought up to date from the same values."""

    state: State
    claimed_by: str
    claimed_until: datetime
    attempts: int
    updated_at: datetime


_MARK_CLAIMED = (
    update(Delivery)
    .where(col(Delivery.id) == bindparam("delivery_id"))
    .values({name: bindparam(f"to_{name}") for name in _Claimed._fields})
)


def mark_claimed(session: Session, row: Delivery, *, worker: str, now: datetime, until: datetime) -> None:
    """Claim `row` (read in this transaction, locked against other claimers)."""
    claimed = _Claimed(
        state=State.SENDING, claimed_by=worker, claimed_until=until, attempts=row.attempts + 1, updated_at=now
    )._asdict()
    # One prebuilt statement, and the loaded row brought up to date without dirtying it: the
    # unit of work would otherwise write it a second time at commit, at several times the cost.
    # Measured (8b6a919, bench.phases): the claim from about 0.85 to 0.65 of create's CPU.
    session.connection().execute(
        _MARK_CLAIMED, {"delivery_id": row.id} | {f"to_{name}": value for name, value in claimed.items()}
    )
    for name, value in claimed.items():
        set_committed_value(row, name, value)


def paces(
    session: Session, channels: Collection[tuple[str, str]], *, lock: bool, skip_locked: bool = False
) -> dict[tuple[str, str], ChannelPace]:
    """The pace rows of these (team, channel) pairs, created when missing, locked in key order.
    With `skip_locked`, the rows another transaction holds are left out (PostgreSQL)."""
    keys = sorted(set(channels))
    if not keys:
        return {}
    known = _load_paces(session, keys, lock=lock, skip_locked=skip_locked)
    missing = [k for k in keys if k not in known]
    if missing and skip_locked:
        # Held elsewhere is not missing: only create the rows that do not exist.
        missing = [k for k in missing if k not in _load_paces(session, missing, lock=False)]
    for team_id, channel_id in missing:
        try:
            with session.begin_nested():
                session.add(ChannelPace(team_id=team_id, channel_id=channel_id))
        except IntegrityError:
            pass  # created concurrently; loaded below
    if missing:
        known = _load_paces(session, keys, lock=lock, skip_locked=skip_locked)
    return known


def _load_paces(
    session: Session, keys: Sequence[tuple[str, str]], *, lock: bool, skip_locked: bool = False
) -> dict[tuple[str, str], ChannelPace]:
    conditions = [
        and_(col(ChannelPace.team_id) == team_id, col(ChannelPace.channel_id) == channel_id)
        for team_id, channel_id in keys
    ]
    query = (
        select(ChannelPace)
        .where(or_(*conditions))
        .order_by(col(ChannelPace.team_id), col(ChannelPace.channel_id))
    )
    if lock:
        query = query.with_for_update(skip_locked=skip_locked)
    return {(p.team_id, p.channel_id): p for p in session.exec(query).all()}


def pause_channel(session: Session, *, team_id: str, channel_id: str, until: datetime) -> None:
    pace = paces(session, [(team_id, channel_id)], lock=True)[(team_id, channel_id)]
    if pace.paused_until is None or pace.paused_until < until:
        pace.paused_until = until
        session.add(pace)


_FINISH = (
    update(Delivery)
    .where(
        col(Delivery.id) == bindparam("delivery_id"),
        col(Delivery.state) == State.SENDING,
        col(Delivery.claimed_by) == bindparam("worker"),
    )
    .values(
        state=bindparam("to_state"),
        updated_at=bindparam("now"),
        claimed_until=None,
        not_before=bindparam("to_not_before"),
        delivered_at=bindparam("to_delivered_at"),
        last_error=bindparam("to_last_error"),
        attempts=func.coalesce(bindparam("to_attempts", type_=Integer), Delivery.attempts),
    )
)


def finish(
    session: Session,
    *,
    delivery_id: int,
    worker: str,
    now: datetime,
    state: State,
    not_before: datetime | None = None,
    delivered_at: datetime | None = None,
    last_error: str | None = None,
    attempts: int | None = None,
) -> bool:
    """Record the outcome of a claimed row; False if the claim was lost (taken over) meanwhile.

    `attempts` None keeps the count the claim made."""
    result = session.connection().execute(
        _FINISH,
        {
            "delivery_id": delivery_id,
            "worker": worker,
            "to_state": state,
            "now": now,
            "to_not_before": not_before,
            "to_delivered_at": delivered_at,
            "to_last_error": last_error,
            "to_attempts": attempts,
        },
    )
    return result.rowcount == 1


def absorb_waiting(session: Session, *, coalesce_key: str, into_id: int, worker: str, now: datetime) -> int:
    """Retire the row waiting with `coalesce_key` (queued while `into_id` was out), so the claimed
    row `into_id` can wait again under that key: only one row may wait per key, and the older row
    does the newer one's work (each renders what is true when sent). Nothing while `into_id` is
    no longer `worker`'s claim. Returns how many rows were absorbed."""
    claimed = session.exec(
        select(Delivery.id)
        .where(
            col(Delivery.id) == into_id,
            col(Delivery.state) == State.SENDING,
            col(Delivery.claimed_by) == worker,
        )
        .with_for_update()
    ).first()
    if claimed is None:
        return 0
    return rows_changed(
        session,
        update(Delivery)
        .where(
            col(Delivery.coalesce_key) == coalesce_key,
            col(Delivery.state) == State.PENDING,
            col(Delivery.id) > into_id,
        )
        .values(
            state=State.DELIVERED,
            updated_at=now,
            delivered_at=now,
            last_error=f"absorbed into #{into_id}, retrying",
        ),
    )


_SUPERSEDE = (
    update(Delivery)
    .where(
        col(Delivery.coalesce_key) == bindparam("key"),
        col(Delivery.state) == State.FAILED,
        col(Delivery.id) < bindparam("before_id"),
    )
    .values(
        state=State.DELIVERED,
        updated_at=bindparam("now"),
        last_error=bindparam("note", type_=String) + func.coalesce(Delivery.last_error, ""),
    )
    .returning(col(Delivery.actor_id))
)


def supersede_failed(session: Session, *, coalesce_key: str, before_id: int, now: datetime) -> list[str]:
    """Close the failures a newer delivery of the same key made good; returns their actors."""
    closed = session.connection().execute(
        _SUPERSEDE,
        {
            "key": coalesce_key,
            "before_id": before_id,
            "now": now,
            "note": f"superseded by delivery {before_id}: ",
        },
    )
    return [actor for (actor,) in closed if actor]


def get(session: Session, delivery_id: int) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def backlog(session: Session) -> tuple[int, datetime | None]:
    """How many rows are undelivered, and when the oldest of them was queued."""
    count, oldest = session.exec(
        select(func.count(), func.min(Delivery.created_at)).where(col(Delivery.state).in_(UNDELIVERED))
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        # Aggregates bypass the column type on SQLite; the stored value is UTC.
        oldest = oldest.replace(tzinfo=UTC)
    return count, oldest


def listing(
    session: Session, *, states: Collection[str], limit: int, team_id: str | None = None
) -> Sequence[Delivery]:
    conditions: list[ColumnElement[bool]] = [col(Delivery.state).in_(states)]
    if team_id is not None:
        conditions.append(col(Delivery.team_id) == team_id)
    return session.exec(select(Delivery).where(*conditions).order_by(col(Delivery.id)).limit(limit)).all()


def failed(
    session: Session,
    *,
    team_id: str,
    actor_id: str | None = None,
    kinds: Collection[str] | None = None,
    subject_id: int | None = None,
    stream: str | None = None,
    limit: int = 10,
) -> Sequence[Delivery]:
    """Permanent failures, newest first: a person's (App Home), an experiment's or a project's
    stream's (show)."""
    conditions = [col(Delivery.team_id) == team_id, col(Delivery.state) == State.FAILED]
    if actor_id is not None:
        conditions.append(col(Delivery.actor_id) == actor_id)
    if kinds is not None:
        conditions.append(col(Delivery.kind).in_(kinds))
    if subject_id is not None:
        conditions.append(col(Delivery.subject_id) == subject_id)
    if stream is not None:
        conditions.append(col(Delivery.stream) == stream)
    return session.exec(
        select(Delivery).where(*conditions).order_by(col(Delivery.id).desc()).limit(limit)
    ).all()


def requeue(session: Session, *, delivery_id: int, now: datetime) -> bool:
    """Send a failed row again, keeping its place in its stream."""
    row = session.get(Delivery, delivery_id)
    if row is None or row.state != State.FAILED:
        return False
    if (
        row.coalesce_key is not None
        and session.exec(
            select(Delivery.id).where(
                Delivery.coalesce_key == row.coalesce_key, Delivery.state == State.PENDING
            )
        ).first()
    ):
        # A newer waiting row renders the same thing from the same data; it covers this one.
        session.delete(row)
        return True
    changed = rows_changed(
        session,
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.state) == State.FAILED)
        .values(state=State.PENDING, not_before=None, updated_at=now, attempts=0),
    )
    mark_enqueued(session)
    return changed == 1


def drop(session: Session, *, delivery_id: int) -> bool:
    """Forget a row that is not being sent right now."""
    row = session.get(Delivery, delivery_id)
    if row is None or row.state == State.SENDING:
        return False
    session.delete(row)
    return True


def purge_delivered(session: Session, *, before: datetime) -> int:
    """Delete delivered rows older than `before`: the queue is not an archive."""
    changed = rows_changed(
        session,
        Delivery.__table__.delete().where(  # type: ignore[attr-defined]
            col(Delivery.state) == State.DELIVERED, col(Delivery.updated_at) < before
        ),
    )
    return changed
