"""The delivery worker: claim due rows, send each on a pool of threads, record the outcome.

Every process that serves the bot runs one (each web worker, `clock`, `run`); they share the
queue through the database, so any of them may send any row, and a row claimed by a process
that died is taken over once its lease runs out. A commit that queued something wakes the
worker of its own process at once; the others notice on their next poll.

One row occupies one thread while it is sent, so a slow channel or a slow call holds up only
its own rows. The loop claims no more rows than it has free threads. Outcomes are recorded in
groups, each with the claims of the threads' next rows (bot/delivery/recorder.py).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.delivery.clients import TeamClients
from bot.delivery.recorder import Recorder
from bot.delivery.sending import Sent, WorkerConfig, attempt, send_one
from storage.db import Database
from storage.models import Delivery
from storage.types import utcnow
from workflow import delivery
from workflow.delivery import Pace

__all__ = ["DrainReport", "Sent", "Worker", "WorkerConfig", "claim", "drain"]

log = logging.getLogger("bot.delivery")

# How often, at most, the loop looks for rows left by a claimant whose lease ran out (sooner
# when the lease is short): a dead process's rows wait out its lease, and this much at most.
# Measured (12a1ba9, bench.phases): looking on every claim made a claim cost more than the render.
TAKE_OVER_EVERY = timedelta(seconds=5)


@dataclass
class DrainReport:
    sent: list[Sent] = field(default_factory=list)

    def gave_up(self, after: int) -> list[Sent]:
        """Rows that failed for good, or have now failed `after` tries in a row."""
        return [s for s in self.sent if s.gave_up(after)]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def claim(
    db: Database,
    config: WorkerConfig,
    *,
    worker: str,
    now: datetime,
    limit: int,
    look_first: bool = True,
    take_over: bool = True,
    due: datetime | None = None,
) -> list[Delivery]:
    """Claim up to `limit` due rows at `now`, the real clock. `look_first`: read before taking
    the write lock, so an idle queue costs no write lock on SQLite (needless when a commit just
    said something is due). `take_over`: also claim rows whose claimant's lease ran out (see
    `claim_in`). `due`: see `storage.deliveries.ready_heads`."""
    if limit <= 0 or (look_first and not _anything_due(db, config.pace, now)):
        return []
    with db.session(background=True) as session:
        return claim_in(session, config, worker=worker, now=now, limit=limit, take_over=take_over, due=due)


def claim_in(
    session: Session,
    config: WorkerConfig,
    *,
    worker: str,
    now: datetime,
    limit: int,
    take_over: bool = True,
    due: datetime | None = None,
) -> list[Delivery]:
    """`take_over`: also claim rows whose claimant's lease ran out. Looking for them costs a
    query, and a lease runs for minutes, so the loop looks every few seconds (`Worker`), and the
    claims chained to a recorded outcome leave it to the loop."""
    return delivery.claim(
        session,
        now=now,
        limit=limit,
        worker=worker,
        lease=config.lease,
        pace=config.pace,
        take_over=take_over,
        due=due,
    )


def _anything_due(db: Database, pace: Pace, now: datetime) -> bool:
    """A read first, so an idle queue costs no write lock on SQLite."""
    with db.read() as session:
        return delivery.anything_due(session, now=now, pace=pace)


def drain(
    clients: TeamClients,
    db: Database,
    config: WorkerConfig,
    *,
    now: datetime,
    worker: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> DrainReport:
    """Send what is due, one row at a time, then return (`tick`, tests).

    `now` is what the senders decide by (`tick --now`: is a reminder late, what is due today).
    The queue keeps to `clock`, the real clock, as every other process's worker does: a tick
    run a day ahead must not see their rows in flight as leases run out, nor pace a channel a
    day ahead. Rows due when the drain began are sent; one that fails waits for its retry time,
    after the drain (the loop ends when nothing is due).
    """
    name = worker or worker_name()
    report = DrainReport()
    began = clock()
    # One row claimed at a time: each is sent well within its lease, however slow the others.
    while rows := claim(db, config, worker=name, now=clock(), limit=1, due=began):
        for row in rows:
            report.sent.append(send_one(clients, db, config, row, worker=name, now=now, clock=clock))
    return report


class Worker:
    """The background loop of one process."""

    def __init__(
        self,
        clients: TeamClients,
        db: Database,
        config: WorkerConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.clients = clients
        self.db = db
        self.config = config
        self.clock = clock
        self.name = worker_name()
        self._pool = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="delivery")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Condition()
        self._in_flight = 0
        # When the loop next looks for rows whose claimant's lease ran out.
        self._take_over_at: datetime | None = None
        self._thread = threading.Thread(target=self._loop, name="delivery-loop", daemon=True)
        self._recorder = Recorder(db, self._claim_next)
        db.on_enqueue(self.wake)

    @property
    def started(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> Worker:
        self._recorder.start()
        self._thread.start()
        log.info("delivery worker %s started: %s threads", self.name, self.config.threads)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, and let the rows in flight finish (their outcome is recorded)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True)
        self._recorder.stop(timeout)

    def wake(self) -> None:
        self._wake.set()

    def idle(self) -> bool:
        """Nothing due in the queue and nothing in flight here (for tests and shutdown)."""
        # In this order: a row claimed between the two looks is in flight by the second one
        # (counted from before its claim until its outcome is recorded). Looked at the other
        # way round, a row claimed in between would be neither.
        if _anything_due(self.db, self.config.pace, self.clock()):
            return False
        with self._lock:
            return self._in_flight == 0

    def _loop(self) -> None:
        woken = False
        while not self._stop.is_set():
            self._wake.clear()
            with self._lock:
                free = self.config.threads - self._in_flight
                # Counted as in flight while claiming, so `idle()` never sees a claimed row
                # that is not yet handed to a thread.
                self._in_flight += 1
            rows: list[Delivery] = []
            now = self.clock()
            take_over = self._take_over_at is None or now >= self._take_over_at
            try:
                rows = claim(
                    self.db,
                    self.config,
                    worker=self.name,
                    now=now,
                    limit=free,
                    look_first=not woken,
                    take_over=take_over,
                )
                if take_over:
                    self._take_over_at = now + min(self.config.lease / 4, TAKE_OVER_EVERY)
            except Exception:
                log.exception("delivery worker %s could not claim; trying again shortly", self.name)
            with self._lock:
                self._in_flight += len(rows) - 1
            for row in rows:
                self._pool.submit(self._send, row)
            # A commit that queued something, or a thread that ran out of rows, wakes the loop;
            # otherwise it looks again after `poll`, which is what notices retries coming due
            # and other processes' rows.
            woken = self._wake.wait(self.config.poll)

    def _send(self, row: Delivery) -> None:
        """Send `row`, then keep this thread busy with the next due row, claimed as each one's
        outcome is recorded, until the queue has nothing for it."""
        following: Delivery | None = row
        try:
            while following is not None:
                done = attempt(
                    self.clients,
                    self.db,
                    self.config,
                    following,
                    worker=self.name,
                    now=self.clock(),
                    clock=self.clock,
                )
                following = self._recorder.record(done, wants_next=not self._stop.is_set())
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()
            self._wake.set()

    def _claim_next(self, session: Session, limit: int) -> list[Delivery]:
        return claim_in(
            session, self.config, worker=self.name, now=self.clock(), limit=limit, take_over=False
        )
