"""What is waiting on one person: the reviews and sign-offs they may give, and their own next steps.

The same checks that guard the buttons decide what is listed, so the list never offers a
step the person would be refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlmodel import Session

from storage import agenda, roles
from storage import experiments as queries
from storage.models import Experiment
from workflow import promotion, review
from workflow import vocabulary as v
from workflow.errors import WorkflowError
from workflow.permissions import Policy

LIMIT = 15


@dataclass(frozen=True)
class Waiting:
    experiment: Experiment
    step: str  # what the person can do, e.g. "technical review", "sign-off as security"
    # Why it is asked again: an approval that went stale, with what changed.
    stale: str | None = None

    @property
    def escalated(self) -> bool:
        return self.experiment.escalated_at is not None


def waiting_on(
    session: Session, *, team_id: str, user_id: str, policy: Policy, limit: int = LIMIT
) -> list[Waiting]:
    held = roles.roles_of(session, team_id=team_id, user_id=user_id)
    found: list[Waiting] = []
    for kind in v.ReviewKind:
        if v.REVIEWER_ROLE[kind] not in held:
            continue
        pending, _ = agenda.with_review(
            session,
            team_id=team_id,
            kind=kind,
            review_statuses=(v.ReviewState.PENDING,),
            experiment_statuses=(v.Status.IN_REVIEW,),
            limit=limit,
        )
        for experiment in pending:
            if _allowed(
                # None: they already approved it.
                partial(
                    review.check_decision,
                    session,
                    experiment,
                    kind=kind,
                    decision=v.Decision.APPROVE,
                    actor_id=user_id,
                    policy=policy,
                ),
                refused_if_none=True,
            ):
                found.append(Waiting(experiment, f"{kind} review", _stale_note(session, experiment, kind)))
    if held & set(v.APPROVER_ROLES):
        awaiting, _ = agenda.waiting(session, team_id=team_id, status=v.Status.APPROVED, limit=limit)
        for experiment in awaiting:
            for role in v.APPROVER_ROLES:
                if role in held and _allowed(
                    # Not None: their sign-off is already there.
                    partial(
                        promotion.check_sign_off,
                        session,
                        experiment,
                        role=role,
                        actor_id=user_id,
                        policy=policy,
                    ),
                    refused_if_none=False,
                ):
                    found.append(Waiting(experiment, f"sign-off as {role}"))
    mine, _ = queries.list_for_team(
        session,
        team_id=team_id,
        owner_id=user_id,
        statuses=(v.Status.CHANGES_REQUESTED, v.Status.REVIEWED),
        limit=limit,
    )
    for experiment in mine:
        step = (
            "changes requested: resubmit"
            if experiment.status == v.Status.CHANGES_REQUESTED
            else "reviewed: promote it"
        )
        found.append(Waiting(experiment, step))
    return found[:limit]


def _stale_note(session: Session, experiment: Experiment, kind: v.ReviewKind) -> str | None:
    assert experiment.id is not None
    return next(
        (r.stale_note for r in queries.reviews(session, experiment_id=experiment.id) if r.kind == kind), None
    )


def _allowed(check: Callable[[], object], *, refused_if_none: bool) -> bool:
    """True if the workflow would let the person take the step now: `check` does not refuse, and
    its answer says the step is still theirs to take (what None means depends on the check)."""
    try:
        return (check() is None) is not refused_if_none
    except WorkflowError:
        return False
