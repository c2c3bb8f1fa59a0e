"""Nudging the people who can move a waiting experiment on.

An experiment in review waits on the holders of the reviewer roles for its pending reviews; an
approved one waits on the holders of the sign-off roles it lacks. The owner is never asked to
act on their own experiment. A role nobody else holds is reported to the admins instead.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import agenda as queries
from storage import experiments as experiment_queries
from storage import roles
from storage.models import Experiment
from workflow import calendar
from workflow import vocabulary as v

NUDGED_STATUSES = (v.Status.IN_REVIEW, v.Status.APPROVED)


@dataclass(frozen=True)
class Ask:
    role: v.Role
    people: Sequence[str]  # empty: nobody who may act holds it (or all who do are away)
    away: Sequence[str] = ()  # holders who may act but are away: not asked


@dataclass(frozen=True)
class Nudge:
    experiment: Experiment
    waiting_since: datetime
    now: datetime
    asks: Sequence[Ask]
    admins: Sequence[str]
    # When this nudge escalates: the role it escalates to, and its holders who may hear of it.
    escalated_to: v.Role | None = None
    escalated: Sequence[str] = ()

    @property
    def unheld(self) -> list[str]:
        return [ask.role for ask in self.asks if not ask.people and not ask.away]


@dataclass(frozen=True)
class _Wait:
    roles: list[v.Role]  # the roles that can move it on, in the vocabulary's order
    excluded: set[str]  # who may not act whatever they hold


def _waited_on(session: Session, experiment: Experiment) -> _Wait:
    assert experiment.id is not None
    if experiment.status == v.Status.IN_REVIEW:
        pending = {
            r.kind
            for r in experiment_queries.reviews(session, experiment_id=experiment.id)
            if r.status == v.ReviewState.PENDING
        }
        needed = [v.REVIEWER_ROLE[kind] for kind in v.ReviewKind if kind in pending]
        return _Wait(needed, {experiment.owner_id})
    given = experiment_queries.approvals(session, experiment_id=experiment.id)
    missing = [role for role in v.APPROVER_ROLES if role not in {a.role for a in given}]
    # Each sign-off needs a different person: whoever gave one cannot give another.
    return _Wait(missing, {experiment.owner_id} | {a.approver_id for a in given})


def admins(session: Session, *, team_id: str, admin_user_ids: Collection[str]) -> list[str]:
    held = roles.holders(session, team_id=team_id, role=v.Role.ADMIN)
    return sorted(admin_user_ids) + [u for u in held if u not in admin_user_ids]


def candidates(session: Session, *, now: datetime, after: timedelta, every: timedelta) -> Sequence[int]:
    return queries.nudge_candidates(
        session, statuses=NUDGED_STATUSES, waiting_since_before=now - after, nudged_before=now - every
    )


def claim(
    session: Session,
    *,
    experiment_id: int,
    now: datetime,
    after: timedelta,
    every: timedelta,
    escalate_after: int | None = None,
) -> Experiment | None:
    """Claim the nudge of an experiment that still waits on others; None when there is nothing
    (left) to do. Whom it asks is decided when it is sent (`build`), from the roles held then.
    The claim that makes it `escalate_after` nudges in this status escalates it, once."""
    experiment = session.get(Experiment, experiment_id)
    if experiment is None or experiment.status not in NUDGED_STATUSES:
        return None
    if not _waited_on(session, experiment).roles:
        return None
    if not queries.claim_nudge(
        session,
        experiment_id=experiment_id,
        status=experiment.status,
        now=now,
        waiting_since_before=now - after,
        nudged_before=now - every,
    ):
        return None
    session.refresh(experiment)  # the claim counted the nudge in the database
    if escalate_after and experiment.nudge_count >= escalate_after and experiment.escalated_at is None:
        experiment.escalated_at = now
        session.add(experiment)
    return experiment


def build(
    session: Session,
    *,
    experiment_id: int,
    now: datetime,
    admin_user_ids: Collection[str],
    timezone: str = "UTC",
    claimed_at: datetime | None = None,
    escalate_to: v.Role | None = None,
) -> Nudge | None:
    """The nudge as it should read at `now`; None once the experiment no longer waits on anyone
    who is not away. People away (`/aiteam away`) are never asked."""
    experiment = session.get(Experiment, experiment_id)
    if experiment is None or experiment.status not in NUDGED_STATUSES:
        return None
    waited_on = _waited_on(session, experiment)
    if not waited_on.roles:
        return None
    holders = {
        role: [
            u
            for u in roles.holders(session, team_id=experiment.team_id, role=role)
            if u not in waited_on.excluded
        ]
        for role in waited_on.roles
    }
    away = calendar.away_among(
        session,
        team_id=experiment.team_id,
        user_ids={u for people in holders.values() for u in people},
        today=calendar.today(timezone, now),
    )
    asks = [
        Ask(role, [u for u in people if u not in away], [u for u in people if u in away])
        for role, people in holders.items()
    ]
    if all(not ask.people and ask.away for ask in asks):
        return None  # everyone who could act is away: nobody to ask
    escalated: list[str] = []
    if escalate_to is not None and claimed_at is not None and experiment.escalated_at == claimed_at:
        # Never the owner, nor anyone who already decided or is away.
        decided = _deciders(session, experiment)
        escalated = [
            u
            for u in roles.holders(session, team_id=experiment.team_id, role=escalate_to)
            if u != experiment.owner_id and u not in decided and u not in away
        ]
    return Nudge(
        experiment=experiment,
        waiting_since=experiment.status_changed_at,
        now=now,
        asks=asks,
        admins=admins(session, team_id=experiment.team_id, admin_user_ids=admin_user_ids)
        if any(not a.people for a in asks)
        else [],
        escalated_to=escalate_to if escalated else None,
        escalated=escalated,
    )


def _deciders(session: Session, experiment: Experiment) -> set[str]:
    """Who already decided something about the experiment in its current round."""
    assert experiment.id is not None
    reviewers = {r.reviewer_id for r in experiment_queries.reviews(session, experiment_id=experiment.id)}
    approvers = {a.approver_id for a in experiment_queries.approvals(session, experiment_id=experiment.id)}
    return {u for u in reviewers | approvers if u}
