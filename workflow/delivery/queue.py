"""Claiming due rows within their channels' pace, and recording how a send went."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import ceremonies as runs
from storage import deliveries as queries
from storage.ceremonies import RunStatus
from storage.deliveries import State
from storage.models import ChannelPace, Delivery
from workflow.delivery.intents import refresh_home
from workflow.delivery.kinds import PACED, Kind

# -- pace ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pace:
    """A token bucket per channel: `rate` posts a second on average, up to `burst` at once.

    Kept as one time per channel (the generic cell rate algorithm): the bucket is full when that
    time is in the past, and each post moves it on by 1/rate. A rate of 0 turns pacing off.
    """

    rate: float
    burst: int

    def take(self, pace: ChannelPace, now: datetime) -> bool:
        """Use one token of the channel's bucket at `now`, if one is left."""
        if self.rate <= 0:
            return True
        interval = timedelta(seconds=1 / self.rate)
        theoretical = max(pace.theoretical_at or now, now)
        if theoretical - now > interval * (self.burst - 1):
            return False
        pace.theoretical_at = theoretical + interval
        return True

    def full_until(self, now: datetime) -> datetime | None:
        """A channel whose theoretical time is past this has no token left at `now`."""
        if self.rate <= 0:
            return None
        return now + timedelta(seconds=1 / self.rate) * (self.burst - 1)


# -- claiming ------------------------------------------------------------------------------------


def _may_send(pace: Pace, channel: ChannelPace, in_flight: int, now: datetime) -> bool:
    """Not paused, not more than a burst in flight (a slow channel holds few threads), a token."""
    if channel.paused_until is not None and channel.paused_until > now:
        return False
    if pace.rate > 0 and in_flight >= pace.burst:
        return False
    return pace.take(channel, now)


# Candidate batches a claim looks at before settling for fewer than `limit` rows.
CLAIM_ROUNDS = 3


def claim(
    session: Session,
    *,
    now: datetime,
    limit: int,
    worker: str,
    lease: timedelta,
    pace: Pace,
    take_over: bool = True,
    due: datetime | None = None,
) -> list[Delivery]:
    """Claim up to `limit` due rows, each first in its stream, within their channels' pace;
    with `take_over`, also rows whose claimant's lease ran out.

    `now` is the real clock: leases, retry times and pace are reckoned by it, in every process
    alike (a `tick --now` a day ahead would otherwise see every lease as run out). `due`: see
    `storage.deliveries.ready_heads`.

    A channel whose bucket runs dry during the claim is left out of the next batch of
    candidates, so one busy channel's backlog never hides the rows of the others. With pacing
    on, a channel never has more than a burst of rows in flight: a channel whose calls hang
    holds a few threads, never all of them.
    """
    claimed: list[Delivery] = []
    dry: set[str] = set()
    for _ in range(CLAIM_ROUNDS):
        if len(claimed) >= limit:
            break
        candidates = queries.ready_heads(
            session,
            now=now,
            limit=(limit - len(claimed)) * 4,
            lock=True,
            paced_kinds=PACED,
            full_until=pace.full_until(now),
            skip_channels=dry,
            expired=take_over,
            due=due,
        )
        candidates = [r for r in candidates if r not in claimed]
        if not candidates:
            break
        # With pacing off there are no buckets to take from; a paused channel's rows were left
        # out of the candidates already.
        paced = (
            {(r.team_id, r.channel_id) for r in candidates if r.kind in PACED and r.channel_id}
            if pace.rate > 0
            else set()
        )
        # A pace row another transaction holds is passed over, not waited for: a claim waiting
        # on one while holding others (from an earlier round, or a recorded 429) deadlocked
        # with one doing the reverse (the fault soak, PostgreSQL), its candidate rows locked
        # meanwhile, so a change riding on one of them waited and its ack came late.
        channels = queries.paces(session, paced, lock=True, skip_locked=True)
        in_flight = queries.sending_per_channel(session, channels={c for _, c in paced}, now=now)
        for row in candidates:
            if len(claimed) >= limit:
                break
            key = (row.team_id, row.channel_id or "")
            if key in paced:
                channel = channels.get(key)
                if channel is None or not _may_send(pace, channel, in_flight.get(key[1], 0), now):
                    dry.add(key[1])
                    continue
                in_flight[key[1]] = in_flight.get(key[1], 0) + 1
                session.add(channel)
            queries.mark_claimed(session, row, worker=worker, now=now, until=now + lease)
            claimed.append(row)
        if not dry:
            break  # nothing was held back: the batch had all there is
    return claimed


def listing(
    session: Session, *, states: Sequence[str], limit: int, team_id: str | None = None
) -> Sequence[Delivery]:
    return queries.listing(session, states=states, limit=limit, team_id=team_id)


def retry(session: Session, *, delivery_id: int, now: datetime) -> bool:
    """Send a failed row again (an operator fixed the cause), keeping its place in its stream."""
    return queries.requeue(session, delivery_id=delivery_id, now=now)


def drop(session: Session, *, delivery_id: int) -> bool:
    """Forget a row that is not being sent right now."""
    return queries.drop(session, delivery_id=delivery_id)


def anything_due(session: Session, *, now: datetime, pace: Pace) -> bool:
    """Whether a claim at `now` could take anything (a read: costs no write lock)."""
    rows = queries.ready_heads(
        session, now=now, limit=1, lock=False, paced_kinds=PACED, full_until=pace.full_until(now)
    )
    return bool(rows)


# -- outcomes ------------------------------------------------------------------------------------

# The first retry waits this long; each further one twice as long, up to the cap.
FIRST_RETRY = timedelta(seconds=2)
MAX_RETRY_WAIT = timedelta(minutes=5)


def backoff(attempts: int, *, jitter: float | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 2 s, 4 s, 8 s … up to 5 minutes.

    Up to a quarter is added at random so that rows that failed together do not retry together.
    """
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY_WAIT)
    spread = random.random() if jitter is None else jitter
    return base + base * 0.25 * spread


@dataclass(frozen=True)
class Failure:
    """Why a send did not happen, as the sender classified it."""

    error: str
    permanent: bool = False
    # Slack said to wait this long (HTTP 429): pause the channel, retry then, count no failure.
    retry_after: float | None = None


@dataclass(frozen=True)
class Recorded:
    state: State
    not_before: datetime | None = None


def record(
    session: Session,
    row: Delivery,
    *,
    worker: str,
    now: datetime,
    failure: Failure | None = None,
    note: str | None = None,
) -> Recorded | None:
    """Record how the claimed `row` went; None when its claim was taken over meanwhile."""
    assert row.id is not None
    if failure is None:
        ok = queries.finish(
            session,
            delivery_id=row.id,
            worker=worker,
            now=now,
            state=State.DELIVERED,
            delivered_at=now,
            last_error=note,
        )
        if ok and row.coalesce_key is not None:
            # A newer render made good what an older one could not: it is no longer a problem.
            fixed = queries.supersede_failed(
                session, coalesce_key=row.coalesce_key, before_id=row.id, now=now
            )
            for actor_id in dict.fromkeys(fixed):
                if row.kind != Kind.HOME:
                    refresh_home(session, team_id=row.team_id, user_id=actor_id)
        return Recorded(State.DELIVERED) if ok else None
    if failure.permanent:
        ok = queries.finish(
            session, delivery_id=row.id, worker=worker, now=now, state=State.FAILED, last_error=failure.error
        )
        if ok and row.kind == Kind.REMINDER and row.subject_id is not None:
            # `/ceremony list` shows the run as failed, with why.
            runs.finish(session, run_id=row.subject_id, status=RunStatus.FAILED, at=now, error=failure.error)
        if ok and row.actor_id and row.kind != Kind.HOME:
            # The person whose change it was sees it in their App Home.
            refresh_home(session, team_id=row.team_id, user_id=row.actor_id)
        return Recorded(State.FAILED) if ok else None
    if failure.retry_after is not None:
        wait = timedelta(seconds=max(failure.retry_after, 1))
        if row.channel_id and row.kind in PACED:
            queries.pause_channel(session, team_id=row.team_id, channel_id=row.channel_id, until=now + wait)
        # A rate limit is Slack asking us to wait, not the row failing: it keeps its attempts.
        attempts = max(row.attempts - 1, 0)
    else:
        wait = backoff(row.attempts)
        attempts = row.attempts
    if row.coalesce_key is not None:
        # A change made while this row was out queued a newer one with its key: this row takes
        # it back, as it must keep looking for a post its failed attempt may have made.
        queries.absorb_waiting(session, coalesce_key=row.coalesce_key, into_id=row.id, worker=worker, now=now)
    ok = queries.finish(
        session,
        delivery_id=row.id,
        worker=worker,
        now=now,
        state=State.PENDING,
        not_before=now + wait,
        attempts=attempts,
        last_error=failure.error,
    )
    return Recorded(State.PENDING, now + wait) if ok else None
