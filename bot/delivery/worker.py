"""The delivery worker: claim due rows, send each on a pool of threads, record the outcome.

Every process that serves the bot runs one (each web worker, `clock`, `run`); they share the
queue through the database, so any of them may send any row, and a row claimed by a process
that died is taken over once its lease runs out. A commit that queued something wakes the
worker of its own process at once; the others notice on their next poll.

One row occupies one thread while it is sent, so a slow channel or a slow call holds up only
its own rows. The loop claims no more rows than it has free threads.
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

from slack_sdk import WebClient
from sqlmodel import Session

from bot.delivery.failures import BUG, classify
from bot.delivery.senders import SENDERS, NothingToSend, SendContext
from storage.db import Database
from storage.models import Delivery
from storage.types import utcnow
from workflow import delivery
from workflow.delivery import Failure, Kind, Pace, Recorded, State
from workflow.permissions import Policy
from workflow.tick import TickConfig

log = logging.getLogger("bot.delivery")


@dataclass(frozen=True)
class WorkerConfig:
    threads: int
    pace: Pace
    lease: timedelta
    poll: float  # seconds between looks at the queue when nothing woke the worker
    tick: TickConfig
    policy: Policy


@dataclass
class Sent:
    """How one row went, for `tick`'s report and the tests."""

    row: Delivery
    state: State
    error: str | None = None
    note: str | None = None


@dataclass
class DrainReport:
    sent: list[Sent] = field(default_factory=list)

    @property
    def failed(self) -> list[Sent]:
        return [s for s in self.sent if s.state != State.DELIVERED]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def send_one(
    client: WebClient,
    db: Database,
    config: WorkerConfig,
    row: Delivery,
    *,
    worker: str,
    now: datetime,
    then: Callable[[Session], None] | None = None,
) -> Sent:
    """Send one claimed row and record how it went, in its own short unit of work.

    `then` runs last in that unit of work: the worker claims its next row there, which saves a
    transaction per row when the queue is busy."""
    ctx = SendContext(
        client=client,
        db=db,
        config=config.tick,
        policy=config.policy,
        now=now,
        # A retry may follow a post that happened but whose answer was lost: look first.
        check_posted=row.attempts > 1,
    )
    failure: Failure | None = None
    note: str | None = None
    try:
        note = SENDERS[Kind(row.kind)](ctx, row)
    except NothingToSend as done:
        note = str(done)
    except Exception as error:
        failure = classify(error)
        if failure.error.startswith(BUG):
            log.exception("delivery %s (%s) hit a bug", row.id, row.kind)
    with db.session(background=True) as session:
        # What Slack said (a posted message's ts) is kept even if the claim was lost meanwhile.
        for write in ctx.writes:
            write(session)
        recorded = delivery.record(session, row, worker=worker, now=now, failure=failure, note=note)
        if then is not None:
            then(session)
    if failure is not None:
        _log_failure(row, failure, recorded, now)
    if recorded is None:
        log.warning("delivery_claim_lost id=%s kind=%s worker=%s", row.id, row.kind, worker)
        return Sent(row, State.SENDING, error="claim lost")
    return Sent(row, recorded.state, error=failure.error if failure else None, note=note)


def _log_failure(row: Delivery, failure: Failure, recorded: Recorded | None, now: datetime) -> None:
    """One structured line per failed attempt: enough to grep, count and alert on."""
    retry_in = ""
    if recorded is not None and recorded.not_before is not None:
        retry_in = f" retry_in={(recorded.not_before - now).total_seconds():.1f}s"
    log.warning(
        "delivery_failed id=%s kind=%s team=%s channel=%s attempt=%s permanent=%s error=%s%s",
        row.id,
        row.kind,
        row.team_id,
        row.channel_id or "-",
        row.attempts,
        str(failure.permanent).lower(),
        failure.error.replace(" ", "_")[:200],
        retry_in,
    )


def claim(
    db: Database, config: WorkerConfig, *, worker: str, now: datetime, limit: int, look_first: bool = True
) -> list[Delivery]:
    """Claim up to `limit` due rows. `look_first`: read before taking the write lock, so an idle
    queue costs no write lock on SQLite (needless when a commit just said something is due)."""
    if limit <= 0 or (look_first and not _anything_due(db, config.pace, now)):
        return []
    with db.session(background=True) as session:
        return claim_in(session, config, worker=worker, now=now, limit=limit)


def claim_in(
    session: Session, config: WorkerConfig, *, worker: str, now: datetime, limit: int
) -> list[Delivery]:
    return delivery.claim(
        session,
        now=now,
        limit=limit,
        worker=worker,
        lease=config.lease,
        pace=config.pace,
        skip_locked=session.get_bind().dialect.name != "sqlite",
    )


def _anything_due(db: Database, pace: Pace, now: datetime) -> bool:
    """A read first, so an idle queue costs no write lock on SQLite."""
    with db.read() as session:
        return delivery.anything_due(session, now=now, pace=pace)


def drain(
    client: WebClient, db: Database, config: WorkerConfig, *, now: datetime, worker: str | None = None
) -> DrainReport:
    """Send everything due at `now`, one row at a time, then return (`tick`, tests).

    Rows that fail are rescheduled by their backoff, so they are not due again at the same `now`;
    the loop ends when nothing is due.
    """
    name = worker or worker_name()
    report = DrainReport()
    while rows := claim(db, config, worker=name, now=now, limit=config.threads):
        for row in rows:
            report.sent.append(send_one(client, db, config, row, worker=name, now=now))
    return report


class Worker:
    """The background loop of one process."""

    def __init__(
        self,
        client: WebClient,
        db: Database,
        config: WorkerConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.db = db
        self.config = config
        self.clock = clock
        self.name = worker_name()
        self._pool = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="delivery")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Condition()
        self._in_flight = 0
        self._thread = threading.Thread(target=self._loop, name="delivery-loop", daemon=True)
        db.on_enqueue(self.wake)

    @property
    def started(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> Worker:
        self._thread.start()
        log.info("delivery worker %s started: %s threads", self.name, self.config.threads)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, and let the rows in flight finish (their outcome is recorded)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True)

    def wake(self) -> None:
        self._wake.set()

    def idle(self) -> bool:
        """Nothing in flight here and nothing due in the queue (for tests and shutdown)."""
        with self._lock:
            if self._in_flight:
                return False
        return not _anything_due(self.db, self.config.pace, self.clock())

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
            try:
                rows = claim(
                    self.db, self.config, worker=self.name, now=self.clock(), limit=free, look_first=not woken
                )
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
                following = self._send_and_claim_next(following)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()
            self._wake.set()

    def _send_and_claim_next(self, row: Delivery) -> Delivery | None:
        claimed: list[Delivery] = []

        def claim_next(session: Session) -> None:
            if not self._stop.is_set():
                claimed.extend(claim_in(session, self.config, worker=self.name, now=self.clock(), limit=1))

        try:
            send_one(
                self.client, self.db, self.config, row, worker=self.name, now=self.clock(), then=claim_next
            )
        except Exception:
            # Recording failed (the database went away), and the next claim with it: the lease
            # runs out and the row is retried.
            log.exception("delivery %s: could not record the outcome", row.id)
            return None
        return claimed[0] if claimed else None
