"""The recorder writes the outcomes of a worker's sends in groups and hands its threads their next
rows; a group that cannot be written is written one outcome at a time. On both databases."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.delivery.recorder import Recorder
from bot.delivery.sending import Attempt
from storage.db import Database
from storage.models import Delivery
from tests.fakeslack import TEAM_ID
from workflow import delivery, proposals
from workflow.delivery import Pace, State

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WORKER = "w1"


def _propose(db: Database, count: int) -> None:
    for i in range(count):
        proposals.propose(db, team_id=TEAM_ID, owner_id="U1", hypothesis=f"H {i}", channel_id="C1")


def _claim(session: Session, limit: int) -> list[Delivery]:
    return delivery.claim(
        session,
        now=T0,
        limit=limit,
        worker=WORKER,
        lease=timedelta(minutes=2),
        pace=Pace(rate=0, burst=1),
    )


def _claimed(db: Database, limit: int) -> list[Delivery]:
    with db.session() as session:
        return _claim(session, limit)


def _states(db: Database) -> Counter[str]:
    with db.read() as session:
        return Counter(row.state for row in delivery.listing(session, states=list(State), limit=100))


class _CountingDatabase:
    """The database, counting the units of work that write."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.units = 0

    @contextmanager
    def session(self, *, background: bool = False) -> Iterator[Session]:
        self.units += 1
        with self.db.session(background=background) as session:
            yield session


def _record_together(
    recorder: Recorder, attempts: list[Attempt], *, wants_next: bool
) -> list[Delivery | None]:
    """Hand the attempts over from one thread each, all before the recorder runs (as when they
    finish while it waits for its write turn); each thread's next row."""
    following: list[Delivery | None] = [None] * len(attempts)

    def one(i: int) -> None:
        following[i] = recorder.record(attempts[i], wants_next=wants_next)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    while recorder._queue.qsize() < len(attempts):
        time.sleep(0.01)
    recorder.start()
    for thread in threads:
        thread.join(10)
    recorder.stop(10)
    assert not any(thread.is_alive() for thread in threads), "a thread still waits for its outcome"
    return following


def test_outcomes_that_gather_while_it_waits_are_written_in_one_unit_of_work(db: Database) -> None:
    _propose(db, 6)
    rows = _claimed(db, 3)
    counting = _CountingDatabase(db)
    recorder = Recorder(counting, _claim)  # type: ignore[arg-type]

    following = _record_together(recorder, [Attempt(row, WORKER, T0, []) for row in rows], wants_next=True)

    assert counting.units == 1
    # Each thread got its own next row: the other three experiments' cards.
    assert all(row is not None for row in following)
    assert {row.subject_id for row in following if row is not None}.isdisjoint(
        {row.subject_id for row in rows}
    )
    assert len({row.id for row in following if row is not None}) == 3
    assert _states(db) == Counter({State.DELIVERED: 3, State.SENDING: 3})


def test_one_outcome_that_cannot_be_written_costs_the_others_nothing(db: Database) -> None:
    _propose(db, 3)
    rows = _claimed(db, 3)

    def broken(_session: Session) -> None:
        raise RuntimeError("a sender's write went wrong")

    attempts = [Attempt(rows[0], WORKER, T0, [broken])] + [Attempt(row, WORKER, T0, []) for row in rows[1:]]
    _record_together(Recorder(db, _claim), attempts, wants_next=False)

    with db.read() as session:
        states = {row.id: row.state for row in delivery.listing(session, states=list(State), limit=10)}
    # The broken one keeps its claim (its lease runs out and it is sent again); the others are done.
    assert states == {rows[0].id: State.SENDING, rows[1].id: State.DELIVERED, rows[2].id: State.DELIVERED}


def test_a_thread_that_stops_gets_no_next_row(db: Database) -> None:
    _propose(db, 2)
    (row,) = _claimed(db, 1)
    (following,) = _record_together(Recorder(db, _claim), [Attempt(row, WORKER, T0, [])], wants_next=False)
    assert following is None
    assert _states(db) == Counter({State.DELIVERED: 1, State.PENDING: 1})
