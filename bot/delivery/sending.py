"""Sending one claimed row, and recording how it went.

The two are apart so that a worker can record many sends in one unit of work
(bot/delivery/recorder.py); `tick` and the tests send and record one row at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import metrics
from bot.delivery.clients import TeamClients
from bot.delivery.failures import BUG, classify
from bot.delivery.senders import SENDERS, NothingToSend, SendContext
from bot.logs import log_context
from mlplatform.client import Mlflow
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
    mlflow: Mlflow | None = None  # the ML platform, when the integration is on


@dataclass
class Attempt:
    """One claimed row, sent or not: what there is to record about it."""

    row: Delivery
    worker: str
    # When the attempt ended, by the real clock: the outcome, backoff and pace are reckoned from it.
    now: datetime
    # What the sender learned from Slack (a posted message's ts), to write with the outcome.
    writes: Sequence[Callable[[Session], object]]
    failure: Failure | None = None
    note: str | None = None


@dataclass
class Sent:
    """How one row went, for `tick`'s report and the tests."""

    row: Delivery
    state: State
    error: str | None = None
    note: str | None = None
    # Slack asked to wait (HTTP 429): deferred, not failed.
    rate_limited: bool = False

    def gave_up(self, after: int) -> bool:
        """It failed for good, or has now failed `after` tries in a row (a 429 is no failure)."""
        if self.state == State.FAILED:
            return True
        return self.error is not None and not self.rate_limited and self.row.attempts >= after


def attempt(
    clients: TeamClients,
    db: Database,
    config: WorkerConfig,
    row: Delivery,
    *,
    worker: str,
    now: datetime,
    clock: Callable[[], datetime] = utcnow,
) -> Attempt:
    """Send one claimed row with its workspace's token; nothing is recorded yet (`record_in`).

    `now` is what the sender renders and decides by (is the reminder late, what is due today:
    `tick --now` chooses it); `clock` is the real clock, which the queue keeps to."""
    try:
        client = clients.for_team(row.team_id)
    except Exception as error:
        return Attempt(row, worker, now, (), failure=classify(error))
    ctx = SendContext(
        client=client,
        db=db,
        config=config.tick,
        policy=config.policy,
        mlflow=config.mlflow,
        now=now,
        # A retry may follow a post that happened but whose answer was lost: look first.
        check_posted=row.attempts > 1,
    )
    note: str | None = None
    failure: Failure | None = None
    try:
        with log_context(**_about(row)):
            note = SENDERS[Kind(row.kind)](ctx, row)
    except NothingToSend as nothing:
        note = str(nothing)
    except Exception as error:
        failure = classify(error)
        if failure.error.startswith(BUG):
            log.exception("delivery %s (%s) hit a bug", row.id, row.kind, extra=_about(row))
    return Attempt(row, worker, clock(), ctx.writes, failure=failure, note=note)


def record_in(session: Session, done: Attempt) -> Recorded | None:
    """Record one attempt in `session`; None when its claim was taken over meanwhile."""
    # What Slack said is kept even if the claim was lost meanwhile.
    for write in done.writes:
        write(session)
    return delivery.record(
        session, done.row, worker=done.worker, now=done.now, failure=done.failure, note=done.note
    )


def outcome(done: Attempt, recorded: Recorded | None) -> Sent:
    """How the attempt went, once recorded; a failure or a lost claim is logged."""
    row, failure = done.row, done.failure
    if failure is not None:
        _log_failure(row, failure, recorded, done.now)
    if recorded is None:
        log.warning(
            "delivery_claim_lost id=%s kind=%s worker=%s", row.id, row.kind, done.worker, extra=_about(row)
        )
        return Sent(row, State.SENDING, error="claim lost")
    if recorded.state == State.DELIVERED:
        metrics.delivered(row.kind, queued_at=row.created_at, at=done.now)
    elif failure is not None:
        metrics.not_delivered(row.kind, error=failure.error, permanent=recorded.state == State.FAILED)
    return Sent(
        row,
        recorded.state,
        error=failure.error if failure else None,
        note=done.note,
        rate_limited=failure is not None and failure.retry_after is not None,
    )


def send_one(
    clients: TeamClients,
    db: Database,
    config: WorkerConfig,
    row: Delivery,
    *,
    worker: str,
    now: datetime,
    clock: Callable[[], datetime] = utcnow,
) -> Sent:
    """Send one claimed row and record how it went, in its own short unit of work."""
    done = attempt(clients, db, config, row, worker=worker, now=now, clock=clock)
    with db.session(background=True) as session:
        recorded = record_in(session, done)
    return outcome(done, recorded)


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
        extra=_about(row),
    )


def _about(row: Delivery) -> dict[str, object]:
    """What a log line about `row` is about (bot/logs.py)."""
    return {"team_id": row.team_id, "delivery_id": row.id, "kind": row.kind}
