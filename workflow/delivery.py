"""What the bot owes Slack, as rows queued with the change that caused them, and how they are paid.

The workflow queues intents here in the same transaction as the change; workers (any process)
claim them, render from the database, send, and record the outcome through `record`. Nothing
here knows Slack: a send that failed is described by a `Failure`, classified by the caller.

- **Order.** Rows of one stream (an experiment's card and thread, a ceremony run, a person's
  App Home) go one at a time, in the order they were queued: the card is posted before the
  review reply that must hang under it, and nothing overtakes a post still waiting for Slack.
- **Coalescing.** An intent that renders current state ("bring the card up to date") is queued
  once while it waits; later changes ride on it, so only the newest render is ever sent.
- **Pace.** Posting into one channel is paced by a token bucket shared through the database
  (Slack allows about one message per second per channel, with short bursts); a 429 pauses that
  channel alone for its Retry-After.
- **Retries.** Transient failures (5xx, time-outs, lost connections) are retried with capped
  exponential backoff, for as long as it takes. Permanent ones are recorded, shown to the person
  whose change it was, and left for someone to retry or drop.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from storage import ceremonies as runs
from storage import deliveries as queries
from storage import projects as project_queries
from storage.ceremonies import RunStatus
from storage.deliveries import State
from storage.models import Ceremony, CeremonyRun, ChannelPace, Delivery, Experiment, Milestone, Project


class Kind(StrEnum):
    """What a delivery row asks for; each has one sender in `bot/delivery/senders.py`."""

    EXPERIMENT = "experiment"  # post or update the card and its thread replies
    NOTICE = "notice"  # a one-off reply in an experiment's thread (a reason, a resubmission)
    NUDGE = "nudge"  # ask the people an experiment waits on, in its thread
    REMINDER = "reminder"  # post a ceremony run's reminder
    HOME = "home"  # publish a person's App Home
    PROJECT = "project"  # post or update a project's card
    MILESTONE_OVERDUE = "milestone_overdue"  # the one reminder, in the project card's thread
    STANDUP_PROMPTS = "standup_prompts"  # find a standup run's participants and queue their DMs
    STANDUP_DM = "standup_dm"  # DM one participant the prompt (or the follow-up)
    STANDUP_ANSWER = "standup_answer"  # post or edit an answer's reply in the reminder's thread
    STANDUP_SUMMARY = "standup_summary"  # edit the reminder to add (or refresh) the summary
    RETRO_BOARD = "retro_board"  # post (or update) a retro's board of notes in its reminder's thread


class Notice(StrEnum):
    """The one-off thread replies, named in a NOTICE row's args."""

    DECISION = "decision"  # changes requested or rejected, with the reason
    RESUBMITTED = "resubmitted"
    BLOCKED = "blocked"  # a standup blocker naming the experiment


# Kinds that post into a channel, so count against its pace.
PACED = frozenset(
    {
        Kind.EXPERIMENT,
        Kind.NOTICE,
        Kind.NUDGE,
        Kind.REMINDER,
        Kind.PROJECT,
        Kind.MILESTONE_OVERDUE,
        Kind.STANDUP_ANSWER,
        Kind.STANDUP_SUMMARY,
        Kind.RETRO_BOARD,
    }
)


def experiment_stream(experiment_id: int) -> str:
    return f"experiment:{experiment_id}"


def _experiment_row(experiment: Experiment, kind: Kind, *, actor_id: str | None, **values: Any) -> Delivery:
    assert experiment.id is not None
    return Delivery(
        team_id=experiment.team_id,
        kind=kind,
        subject_id=experiment.id,
        channel_id=experiment.channel_id,
        stream=experiment_stream(experiment.id),
        actor_id=actor_id,
        **values,
    )


def refresh_experiment(session: Session, experiment: Experiment, *, actor_id: str | None) -> None:
    """Queue bringing the experiment's card and thread up to date (nothing if it has no channel)."""
    if experiment.channel_id is None:
        return
    assert experiment.id is not None
    queries.enqueue(
        session,
        _experiment_row(
            experiment, Kind.EXPERIMENT, actor_id=actor_id, coalesce_key=f"experiment:{experiment.id}"
        ),
    )


def notice(session: Session, experiment: Experiment, notice: Notice, *, actor_id: str, **args: str) -> None:
    """Queue a one-off reply in the experiment's thread, after what is already queued for it."""
    if experiment.channel_id is None:
        return
    payload = json.dumps({"notice": notice, "actor_id": actor_id, **args})
    queries.enqueue(session, _experiment_row(experiment, Kind.NOTICE, actor_id=actor_id, args=payload))


def nudge(session: Session, experiment: Experiment, *, claimed_at: datetime) -> None:
    """Queue the nudge claimed at `claimed_at`; whom it asks is decided when it is sent."""
    queries.enqueue(
        session,
        _experiment_row(
            experiment, Kind.NUDGE, actor_id=None, args=json.dumps({"claimed_at": claimed_at.isoformat()})
        ),
    )


def project_stream(project_id: int) -> str:
    return f"project:{project_id}"


def refresh_project(session: Session, project: Project, *, actor_id: str | None) -> None:
    """Queue posting or updating the project's card (nothing if it has no channel)."""
    if project.channel_id is None:
        return
    assert project.id is not None
    stream = project_stream(project.id)
    queries.enqueue(
        session,
        Delivery(
            team_id=project.team_id,
            kind=Kind.PROJECT,
            subject_id=project.id,
            channel_id=project.channel_id,
            stream=stream,
            coalesce_key=stream,
            actor_id=actor_id,
        ),
    )


def refresh_projects_of(session: Session, experiment: Experiment, *, actor_id: str | None) -> None:
    """Queue updating the card of the project the experiment serves, if any."""
    assert experiment.id is not None
    for project in project_queries.projects_of_experiment(session, experiment_id=experiment.id):
        refresh_project(session, project, actor_id=actor_id)


def milestone_overdue(session: Session, project: Project, *, milestone_id: int) -> None:
    """Queue the overdue reminder of a milestone, after the project's card (it replies under it)."""
    assert project.id is not None
    queries.enqueue(
        session,
        Delivery(
            team_id=project.team_id,
            kind=Kind.MILESTONE_OVERDUE,
            subject_id=milestone_id,
            channel_id=project.channel_id,
            stream=project_stream(project.id),
            actor_id=None,
        ),
    )


def reminder(session: Session, *, team_id: str, run_id: int, channel_id: str, actor_id: str | None) -> None:
    """Queue posting a ceremony run's reminder."""
    queries.enqueue(
        session,
        Delivery(
            team_id=team_id,
            kind=Kind.REMINDER,
            subject_id=run_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
            actor_id=actor_id,
        ),
    )


def run_stream(run_id: int) -> str:
    return f"run:{run_id}"


def standup_prompts(session: Session, *, team_id: str, run_id: int, actor_id: str | None) -> None:
    """Queue asking a standup run's participants (looked up in Slack when it is sent). `actor_id`
    (whoever set the standup up) is told in App Home if it can never be done (a missing scope)."""
    queries.enqueue(
        session,
        Delivery(
            team_id=team_id,
            kind=Kind.STANDUP_PROMPTS,
            subject_id=run_id,
            stream=run_stream(run_id),
            actor_id=actor_id,
        ),
    )


def standup_dm(
    session: Session,
    *,
    team_id: str,
    prompt_id: int,
    user_id: str,
    followup: bool,
    actor_id: str | None = None,
) -> None:
    """Queue DMing one participant their prompt, or the follow-up; `actor_id` as for the prompts."""
    queries.enqueue(
        session,
        Delivery(
            team_id=team_id,
            kind=Kind.STANDUP_DM,
            subject_id=prompt_id,
            user_id=user_id,
            stream=f"standup_dm:{prompt_id}",
            args=json.dumps({"followup": followup}),
            actor_id=actor_id,
        ),
    )


def standup_answer(session: Session, *, team_id: str, run_id: int, answer_id: int, channel_id: str) -> None:
    """Queue posting (or editing) an answer's reply, after the reminder it hangs under."""
    queries.enqueue(
        session,
        Delivery(
            team_id=team_id,
            kind=Kind.STANDUP_ANSWER,
            subject_id=answer_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
            coalesce_key=f"standup_answer:{answer_id}",
        ),
    )


def standup_summary(session: Session, *, team_id: str, run_id: int, channel_id: str) -> None:
    """Queue bringing the standup's summary (in its reminder) up to date."""
    queries.enqueue(
        session,
        Delivery(
            team_id=team_id,
            kind=Kind.STANDUP_SUMMARY,
            subject_id=run_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
            coalesce_key=f"standup_summary:{run_id}",
        ),
    )


def retro_board(session: Session, *, team_id: str, run_id: int, channel_id: str) -> None:
    """Queue posting or updating a retro's board, after the reminder it hangs under. It names no
    one who caused it: a note may be anonymous."""
    queries.enqueue(
        session,
        Delivery(
            team_id=team_id,
            kind=Kind.RETRO_BOARD,
            subject_id=run_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
            coalesce_key=f"retro_board:{run_id}",
        ),
    )


def refresh_home(session: Session, *, team_id: str, user_id: str) -> None:
    """Queue publishing the person's App Home (once, however often it is asked for meanwhile)."""
    key = f"home:{team_id}:{user_id}"
    queries.enqueue(
        session,
        Delivery(
            team_id=team_id, kind=Kind.HOME, user_id=user_id, stream=key, coalesce_key=key, actor_id=user_id
        ),
    )


def args_of(row: Delivery) -> dict[str, Any]:
    return json.loads(row.args) if row.args else {}


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
    skip_locked: bool,
) -> list[Delivery]:
    """Claim up to `limit` due rows, each first in its stream, within their channels' pace.

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
            skip_locked=skip_locked,
            paced_kinds=PACED,
            full_until=pace.full_until(now),
            skip_channels=dry,
        )
        candidates = [r for r in candidates if r not in claimed]
        if not candidates:
            break
        paced = {(r.team_id, r.channel_id) for r in candidates if r.kind in PACED and r.channel_id}
        channels = queries.paces(session, paced, lock=True)
        in_flight = queries.sending_per_channel(session, channels={c for _, c in paced}, now=now)
        for row in candidates:
            if len(claimed) >= limit:
                break
            channel = channels.get((row.team_id, row.channel_id or "")) if row.kind in PACED else None
            if channel is not None:
                if not _may_send(pace, channel, in_flight.get(channel.channel_id, 0), now):
                    dry.add(channel.channel_id)
                    continue
                in_flight[channel.channel_id] = in_flight.get(channel.channel_id, 0) + 1
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
        session, now=now, limit=1, skip_locked=False, paced_kinds=PACED, full_until=pace.full_until(now)
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


# -- seeing the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    undelivered: int
    oldest_age: timedelta | None


def backlog(session: Session, *, now: datetime) -> Backlog:
    count, oldest = queries.backlog(session)
    return Backlog(count, now - oldest if oldest is not None else None)


@dataclass(frozen=True)
class Problem:
    """A delivery that failed for good, described for the people who can fix it."""

    delivery: Delivery
    what: str  # e.g. "the card of EXP-3", "the standup reminder"


def describe(session: Session, row: Delivery) -> str:
    if row.kind in (Kind.EXPERIMENT, Kind.NOTICE, Kind.NUDGE) and row.subject_id is not None:
        experiment = session.get(Experiment, row.subject_id)
        ref = f"EXP-{experiment.number}" if experiment else "a deleted experiment"
        return {
            Kind.EXPERIMENT: f"the card of {ref}",
            Kind.NOTICE: f"a reply in the thread of {ref}",
            Kind.NUDGE: f"the reminder to reviewers of {ref}",
        }[Kind(row.kind)]
    if row.kind == Kind.REMINDER and row.subject_id is not None:
        run = session.get(CeremonyRun, row.subject_id)
        ceremony = session.get(Ceremony, run.ceremony_id) if run else None
        return f"the {ceremony.name} reminder" if ceremony else "a ceremony reminder"
    if row.kind == Kind.HOME:
        return f"the App Home of {row.user_id}"
    if row.kind == Kind.PROJECT and row.subject_id is not None:
        project = session.get(Project, row.subject_id)
        return f"the card of project {project.name}" if project else "the card of a deleted project"
    if row.kind == Kind.MILESTONE_OVERDUE and row.subject_id is not None:
        milestone = session.get(Milestone, row.subject_id)
        return f"the overdue reminder of M{milestone.number}" if milestone else "a milestone reminder"
    standup = {
        Kind.STANDUP_PROMPTS: "the standup prompts",
        Kind.STANDUP_DM: "the standup DMs",
        Kind.STANDUP_ANSWER: "a standup answer",
        Kind.STANDUP_SUMMARY: "the standup summary",
        Kind.RETRO_BOARD: "the retro board",
    }.get(Kind(row.kind))
    if standup is not None:
        return standup
    return f"a {row.kind} delivery"


def problems_of_person(session: Session, *, team_id: str, user_id: str) -> list[Problem]:
    """What failed for good among the person's changes; one per kind of post and error (a DM to
    each of twenty participants failing for one missing scope is one problem)."""
    seen: set[tuple[str, str | None, str | None]] = set()
    problems = []
    for row in queries.failed(session, team_id=team_id, actor_id=user_id):
        what = describe(session, row)
        if (what, row.channel_id, row.last_error) in seen:
            continue
        seen.add((what, row.channel_id, row.last_error))
        problems.append(Problem(row, what))
    return problems


def problems_of_experiment(session: Session, experiment: Experiment) -> list[Problem]:
    assert experiment.id is not None
    rows = queries.failed(
        session,
        team_id=experiment.team_id,
        subject_id=experiment.id,
        kinds=(Kind.EXPERIMENT, Kind.NOTICE, Kind.NUDGE),
    )
    return [Problem(row, describe(session, row)) for row in rows]


def problems_of_project(session: Session, project: Project) -> list[Problem]:
    """What failed for good about a project: its card and its milestones' overdue reminders."""
    assert project.id is not None
    rows = queries.failed(
        session,
        team_id=project.team_id,
        stream=project_stream(project.id),
        kinds=(Kind.PROJECT, Kind.MILESTONE_OVERDUE),
    )
    return [Problem(row, describe(session, row)) for row in rows]
