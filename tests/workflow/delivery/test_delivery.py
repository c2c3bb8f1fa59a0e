"""The delivery queue's rules, on both databases: claim, order, coalescing, pace, retry, give-up."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from storage import deliveries as queries
from storage.db import Database
from storage.models import ChannelPace, Delivery, Experiment
from tests.conftest import _postgres
from tests.fakeslack import TEAM_ID
from workflow import delivery, experiments, proposals, review, subjects
from workflow import vocabulary as v
from workflow.delivery import Failure, Kind, Pace
from workflow.refs import Ref

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
NO_PACE = Pace(rate=0, burst=1)


def _propose(db: Database, hypothesis: str = "Retrieval helps", channel: str = "C1") -> Experiment:
    return proposals.propose(db, team_id=TEAM_ID, owner_id="U1", hypothesis=hypothesis, channel_id=channel)


def _claim(
    db: Database, now: datetime = T0, *, worker: str = "w1", limit: int = 10, pace: Pace = NO_PACE
) -> list[Delivery]:
    with db.session() as session:
        return delivery.claim(session, now=now, limit=limit, worker=worker, lease=LEASE, pace=pace)


def _record(db: Database, row: Delivery, failure: Failure | None = None, *, now: datetime = T0) -> object:
    with db.session() as session:
        return delivery.record(session, row, worker=row.claimed_by or "w1", now=now, failure=failure)


def _rows(db: Database) -> list[Delivery]:
    with db.read() as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)).all())


def test_a_change_queues_its_card_in_the_same_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        proposal = experiments.prepare(
            session, team_id=TEAM_ID, owner_id="U1", hypothesis="Lost", channel_id="C1"
        )
        experiments.create(session, proposal)
        raise RuntimeError("the request failed after the change")
    assert _rows(db) == []  # no experiment, so no card owed
    e = _propose(db)
    (row,) = _rows(db)
    assert (row.kind, row.subject_id, row.channel_id, row.actor_id) == (Kind.EXPERIMENT, e.id, "C1", "U1")
    assert row.stream == row.coalesce_key == f"experiment:{e.id}"


def test_refreshes_coalesce_while_waiting_and_queue_anew_once_one_is_being_sent(db: Database) -> None:
    e = _propose(db)
    for _ in range(3):
        with db.session() as session:
            subjects.redraw(session, team_id=TEAM_ID, ref=Ref.experiment(e.number))
    assert len(_rows(db)) == 1  # one waiting render covers every change since
    (claimed,) = _claim(db)
    with db.session() as session:
        subjects.redraw(session, team_id=TEAM_ID, ref=Ref.experiment(e.number))
        subjects.redraw(session, team_id=TEAM_ID, ref=Ref.experiment(e.number))
    # The one in flight rendered before this change: one more, after it, shows the newest.
    rows = _rows(db)
    assert rows[0].id == claimed.id
    assert [r.state for r in rows] == ["sending", "pending"]


def test_a_waiting_render_is_not_claimed_while_a_change_it_covers_is_uncommitted(db: Database) -> None:
    """A change whose refresh was absorbed by a waiting row must be seen by that row's render:
    the waiting row cannot be claimed (and rendered) until the change commits."""
    e = _propose(db)  # its card waits, pending
    absorbed, go = threading.Event(), threading.Event()
    committed_at: list[float] = []

    def change() -> None:
        with db.session() as session:
            subjects.redraw(session, team_id=TEAM_ID, ref=Ref.experiment(e.number))
            absorbed.set()
            go.wait(5)
        committed_at.append(time.monotonic())

    changer = threading.Thread(target=change)
    changer.start()
    assert absorbed.wait(5)
    claims: list[tuple[list[Delivery], float]] = []

    def claim() -> None:
        rows = _claim(db)
        claims.append((rows, time.monotonic()))

    claimer = threading.Thread(target=claim)
    claimer.start()
    claimer.join(0.5)  # SQLite: it waits for the write lock; PostgreSQL: it passes over the row
    go.set()
    changer.join(5)
    claimer.join(5)
    (rows, claimed_at), committed = claims[0], committed_at[0]
    if rows:
        assert claimed_at >= committed, "the waiting row was claimed before the change it covers"
    else:
        (row,) = _claim(db)  # once the change committed, the row is there to claim
        assert row.subject_id == e.id
    assert len(_rows(db)) == 1


def test_only_the_first_row_of_a_stream_is_claimed_and_streams_go_in_parallel(db: Database) -> None:
    first, second = _propose(db, "A"), _propose(db, "B")
    with db.session() as session:  # a notice queued behind first's card
        experiment = session.get(Experiment, first.id)
        assert experiment is not None
        delivery.notice(session, experiment, delivery.Resubmitted("U1"))
    claimed = _claim(db)
    assert sorted(r.subject_id for r in claimed) == sorted([first.id, second.id])
    assert _claim(db, worker="w2") == []  # the notice waits for the card before it
    card = next(r for r in claimed if r.subject_id == first.id)
    _record(db, card)
    (notice,) = _claim(db, worker="w2")
    assert (notice.kind, notice.subject_id) == (Kind.NOTICE, first.id)


def test_a_claim_is_exclusive_until_its_lease_runs_out_then_taken_over(db: Database) -> None:
    _propose(db)
    (row,) = _claim(db, worker="dead")
    assert _claim(db, T0 + LEASE - timedelta(seconds=1), worker="w2") == []
    (again,) = _claim(db, T0 + LEASE + timedelta(seconds=1), worker="w2")
    assert (again.id, again.attempts, again.claimed_by) == (row.id, 2, "w2")
    # The dead worker's late answer no longer counts.
    with db.session() as session:
        assert delivery.record(session, row, worker="dead", now=T0) is None
    assert _rows(db)[0].state == "sending"


def test_concurrent_workers_never_claim_the_same_row(db: Database) -> None:
    for i in range(30):
        _propose(db, f"H{i}")
    barrier = threading.Barrier(4)
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        barrier.wait()
        while rows := _claim(db, worker=name, limit=3):
            with lock:
                claimed.extend(r.id for r in rows if r.id is not None)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(claimed) == sorted(r.id for r in _rows(db)) and len(set(claimed)) == 30


def test_transient_failures_back_off_and_keep_their_place(db: Database) -> None:
    _propose(db)
    (row,) = _claim(db)
    recorded = _record(db, row, Failure("internal_error"), now=T0)
    (stored,) = _rows(db)
    assert (stored.state, stored.attempts, stored.last_error) == ("pending", 1, "internal_error")
    assert stored.not_before is not None and T0 + timedelta(seconds=2) <= stored.not_before <= T0 + timedelta(
        seconds=2.5
    )
    assert recorded is not None
    assert _claim(db, T0 + timedelta(seconds=1)) == []  # not before its time
    (again,) = _claim(db, T0 + timedelta(seconds=3))
    assert again.attempts == 2


def test_a_retry_takes_back_the_render_queued_while_it_was_out(db: Database) -> None:
    """A change made while the card's render is out queues a newer render with the same key; if
    the one out then fails, it waits again and the newer one is absorbed into it (both render
    what is true when sent, and the older one knows to look for a post that may have happened).
    Found by bench.soak: recording the failure broke the one-waiting-row-per-key index, so the
    outcome was never written and the card waited for the lease to run out."""
    e = _propose(db)
    (claimed,) = _claim(db)
    with db.session() as session:
        subjects.redraw(session, team_id=TEAM_ID, ref=Ref.experiment(e.number))
    assert _record(db, claimed, Failure("ConnectionResetError"), now=T0) is not None
    rows = _rows(db)
    assert [(r.id, r.state) for r in rows] == [(claimed.id, "pending"), (rows[1].id, "delivered")]
    assert rows[1].last_error == f"absorbed into #{claimed.id}, retrying"
    (again,) = _claim(db, T0 + timedelta(seconds=3))
    assert (again.id, again.attempts) == (claimed.id, 2)


def test_a_retry_whose_claim_was_taken_over_absorbs_nothing(db: Database) -> None:
    e = _propose(db)
    (claimed,) = _claim(db)
    (_taken,) = _claim(db, T0 + LEASE + timedelta(seconds=1), worker="w2")
    with db.session() as session:
        subjects.redraw(session, team_id=TEAM_ID, ref=Ref.experiment(e.number))
    assert _record(db, claimed, Failure("internal_error"), now=T0 + LEASE) is None
    assert [r.state for r in _rows(db)] == ["sending", "pending"]


@pytest.mark.parametrize(
    ("attempts", "base"),
    [(1, 2), (2, 4), (3, 8), (6, 64), (8, 256), (9, 300), (40, 300)],
)
def test_backoff_doubles_from_two_seconds_up_to_five_minutes_with_a_quarter_of_jitter(
    attempts: int, base: float
) -> None:
    assert delivery.backoff(attempts, jitter=0) == timedelta(seconds=base)
    assert delivery.backoff(attempts, jitter=1) == timedelta(seconds=base * 1.25)


def test_a_permanent_failure_is_kept_shown_to_its_actor_and_not_retried(db: Database) -> None:
    e = _propose(db)
    (row,) = _claim(db)
    _record(db, row, Failure("not_in_channel", permanent=True))
    rows = _rows(db)
    assert [(r.kind, r.state) for r in rows] == [(Kind.EXPERIMENT, "failed"), (Kind.HOME, "pending")]
    assert rows[1].user_id == "U1"  # the owner's App Home is refreshed to show it
    with db.read() as session:
        experiment = session.get(Experiment, e.id)
        assert experiment is not None
        (problem,) = delivery.problems_of_experiment(session, experiment)
        assert problem.what == "the card of EXP-1" and problem.delivery.last_error == "not_in_channel"
        assert [p.what for p in delivery.problems_of_person(session, team_id=TEAM_ID, user_id="U1")] == [
            "the card of EXP-1"
        ]
    (home,) = _claim(db, T0 + timedelta(days=1))
    assert home.kind == Kind.HOME  # the failed row is never claimed again


def test_a_newer_render_that_gets_through_clears_the_older_failure(db: Database) -> None:
    e = _propose(db)
    (row,) = _claim(db)
    _record(db, row, Failure("not_in_channel", permanent=True))
    with db.session() as session:
        subjects.redraw(session, team_id=TEAM_ID, ref=Ref.experiment(e.number))
    claimed = _claim(db)
    newer = next(r for r in claimed if r.kind == Kind.EXPERIMENT)
    _record(db, newer)
    with db.read() as session:
        experiment = session.get(Experiment, e.id)
        assert experiment is not None
        assert delivery.problems_of_experiment(session, experiment) == []


def test_a_429_pauses_only_its_channel_and_costs_no_attempt(db: Database) -> None:
    _propose(db, "A", channel="C1")
    (row,) = _claim(db)
    _record(db, row, Failure("ratelimited", retry_after=30))
    with db.read() as session:
        (pace,) = session.exec(select(ChannelPace)).all()
    assert (pace.channel_id, pace.paused_until) == ("C1", T0 + timedelta(seconds=30))
    assert _rows(db)[0].attempts == 0
    _propose(db, "B", channel="C1")
    _propose(db, "C", channel="C2")
    (other,) = _claim(db, T0 + timedelta(seconds=10))
    assert other.channel_id == "C2"
    assert {r.channel_id for r in _claim(db, T0 + timedelta(seconds=31))} == {"C1"}


def test_the_pace_allows_a_burst_then_one_post_per_interval_per_channel(db: Database) -> None:
    pace = Pace(rate=1.0, burst=3)
    for i in range(5):
        _propose(db, f"C1-{i}", channel="C1")
    _propose(db, "other", channel="C2")
    first = _claim(db, pace=pace)
    assert sorted(r.channel_id or "" for r in first) == ["C1", "C1", "C1", "C2"]
    for row in first:
        _record(db, row)
    assert _claim(db, T0 + timedelta(milliseconds=500), pace=pace) == []
    (second,) = _claim(db, T0 + timedelta(seconds=1), pace=pace)
    _record(db, second)
    assert len(_claim(db, T0 + timedelta(seconds=2), pace=pace)) == 1


def test_a_busy_channels_backlog_never_crowds_out_another_channel(db: Database) -> None:
    pace = Pace(rate=1.0, burst=3)
    for i in range(40):
        _propose(db, f"busy {i}", channel="C_BUSY")
    _propose(db, "quiet", channel="C_QUIET")
    claimed = _claim(db, limit=2, pace=pace) + _claim(db, limit=2, pace=pace)
    assert "C_QUIET" in {r.channel_id for r in claimed}
    # A paused channel's rows are not even candidates while the pause lasts.
    with db.session() as session:
        queries.pause_channel(session, team_id=TEAM_ID, channel_id="C_BUSY", until=T0 + timedelta(minutes=1))
        assert not delivery.anything_due(session, now=T0 + timedelta(seconds=30), pace=pace)


def test_a_channel_whose_calls_hang_holds_at_most_a_burst_of_threads(db: Database) -> None:
    pace = Pace(rate=1.0, burst=2)
    for i in range(6):
        _propose(db, f"slow {i}", channel="C_SLOW")
    _propose(db, "other", channel="C_OTHER")
    first = _claim(db, limit=8, pace=pace)
    assert sorted(r.channel_id or "" for r in first) == ["C_OTHER", "C_SLOW", "C_SLOW"]
    # Tokens come back with time, but the two posts to C_SLOW still hang: nothing more goes there.
    assert _claim(db, T0 + timedelta(seconds=10), limit=8, pace=pace) == []


def test_a_change_while_the_card_waits_rides_on_it_and_a_notice_queues_behind_it(db: Database) -> None:
    e = _propose(db)
    with db.session() as session:
        review.submit(session, team_id=TEAM_ID, number=e.number, actor_id="U1", artifacts="eval: x")
    assert [r.kind for r in _rows(db)] == [Kind.EXPERIMENT]  # the submit rode on the waiting refresh
    with db.session() as session:
        experiment = session.get(Experiment, e.id)
        assert experiment is not None
        delivery.notice(session, experiment, delivery.Decided("U2", v.ReviewKind.ETHICS, "why"))
    rows = _rows(db)
    assert [r.kind for r in rows] == [Kind.EXPERIMENT, Kind.NOTICE]
    assert delivery.args_of(rows[1]) == delivery.Decided("U2", v.ReviewKind.ETHICS, "why")
    # The wire format earlier releases wrote, so rows queued before a deploy read the same after it.
    assert json.loads(rows[1].args or "") == {
        "notice": "decision",
        "actor_id": "U2",
        "what": "ethics review",
        "reason": "why",
    }


def test_failed_rows_can_be_queued_again_in_place_or_dropped(db: Database) -> None:
    _propose(db, "A")
    _propose(db, "B")
    for row in _claim(db):
        _record(db, row, Failure("channel_not_found", permanent=True))
    failed = [r for r in _rows(db) if r.state == "failed"]
    with db.session() as session:
        assert queries.requeue(session, delivery_id=failed[0].id or 0, now=T0)
        assert not queries.requeue(session, delivery_id=failed[0].id or 0, now=T0)  # not failed now
        assert queries.drop(session, delivery_id=failed[1].id or 0)
    states = {r.id: r.state for r in _rows(db)}
    assert states[failed[0].id] == "pending" and failed[1].id not in states


@pytest.mark.postgres
def test_a_claim_passes_over_a_channel_whose_pace_another_transaction_holds(pg_database: str) -> None:
    """Waiting for a pace row while holding others deadlocked two claims (found by the soak)."""
    db = _postgres(pg_database)
    pace = Pace(rate=1.0, burst=3)
    _propose(db, "held", channel="C_HELD")
    _propose(db, "free", channel="C_FREE")
    with db.session() as session:
        queries.paces(session, [(TEAM_ID, "C_HELD"), (TEAM_ID, "C_FREE")], lock=True)
    holder = db.engine.connect()
    held = holder.begin()
    holder.execute(text("SELECT 1 FROM channelpace WHERE channel_id = 'C_HELD' FOR UPDATE"))
    try:
        with db.session() as session:
            session.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting fails the test
            rows = delivery.claim(session, now=T0, limit=10, worker="w2", lease=LEASE, pace=pace)
        assert [r.channel_id for r in rows] == ["C_FREE"]
    finally:
        held.rollback()
        holder.close()
    assert [r.channel_id for r in _claim(db, pace=pace)] == ["C_HELD"]
    db.dispose()
