"""The experiment lifecycle: which status may follow which, and why not when it may not.

proposed → in_review → reviewed → approved → production, with the side exits
changes_requested (back to in_review on resubmit), rejected and withdrawn.
"""

from __future__ import annotations

from typing import Final

from sqlmodel import Session

from storage import audit
from storage.models import Experiment
from workflow import delivery
from workflow import vocabulary as v
from workflow.errors import InvalidTransition
from workflow.evidence import Evidence
from workflow.experiments import ref, touch

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    v.Status.PROPOSED: frozenset({v.Status.IN_REVIEW, v.Status.WITHDRAWN}),
    v.Status.IN_REVIEW: frozenset(
        {v.Status.CHANGES_REQUESTED, v.Status.REVIEWED, v.Status.REJECTED, v.Status.WITHDRAWN}
    ),
    v.Status.CHANGES_REQUESTED: frozenset({v.Status.IN_REVIEW, v.Status.REJECTED, v.Status.WITHDRAWN}),
    # Back to in_review (or reviewed) when the evidence changes under the decisions made on it.
    v.Status.REVIEWED: frozenset(
        {v.Status.APPROVED, v.Status.IN_REVIEW, v.Status.REJECTED, v.Status.WITHDRAWN}
    ),
    v.Status.APPROVED: frozenset(
        {v.Status.PRODUCTION, v.Status.IN_REVIEW, v.Status.REVIEWED, v.Status.REJECTED, v.Status.WITHDRAWN}
    ),
    v.Status.PRODUCTION: frozenset(),
    v.Status.REJECTED: frozenset(),
    v.Status.WITHDRAWN: frozenset(),
}

# What would make a step legal, by the status it needs the experiment to be in.
_HOW_TO_REACH: Final = {
    v.Status.IN_REVIEW: "its owner submits it with `/experiment submit {ref} <artifacts>`",
    v.Status.REVIEWED: "all three reviews approve it and every checklist item is ticked",
    v.Status.APPROVED: "its owner runs `/experiment promote {ref}`",
}

_STATUS_WORDS: Final = {
    v.Status.PROPOSED: "is only proposed",
    v.Status.IN_REVIEW: "is in review",
    v.Status.CHANGES_REQUESTED: "is waiting for its owner's changes",
    v.Status.REVIEWED: "is reviewed and waiting to be promoted",
    v.Status.APPROVED: "is waiting for its production sign-offs",
    v.Status.PRODUCTION: "is already in production",
    v.Status.REJECTED: "was rejected",
    v.Status.WITHDRAWN: "was withdrawn",
}


def describe(experiment: Experiment) -> str:
    """`EXP-3 is in review`: the status as a phrase for refusals."""
    return f"{ref(experiment.number)} {_STATUS_WORDS.get(experiment.status, experiment.status)}"


# The main path, for telling whether a needed status is still ahead of the experiment.
_STAGE: Final = {
    v.Status.PROPOSED: 0,
    v.Status.IN_REVIEW: 1,
    v.Status.CHANGES_REQUESTED: 0,  # behind in_review: the owner must resubmit to get there again
    v.Status.REVIEWED: 2,
    v.Status.APPROVED: 3,
    v.Status.PRODUCTION: 4,
}


def refuse(experiment: Experiment, step: str, *, needs: v.Status | None = None) -> InvalidTransition:
    """An error saying the step can't happen now, and what would make it possible, if anything."""
    message = f"You can't {step}: {describe(experiment)}."
    if experiment.status in v.CLOSED_STATUSES:
        message += " It is closed; propose a new experiment to try again."
    elif needs in _HOW_TO_REACH and _STAGE[experiment.status] < _STAGE[needs]:
        # Every step still between here and there, in order.
        ahead = [s for s in _HOW_TO_REACH if _STAGE[experiment.status] < _STAGE[s] <= _STAGE[needs]]
        steps = ", then ".join(_HOW_TO_REACH[s] for s in ahead).format(ref=ref(experiment.number))
        message += f" That becomes possible once {steps}."
    return InvalidTransition(message)


def require_status(experiment: Experiment, step: str, *allowed: v.Status) -> None:
    """Refuse `step` unless the experiment is in one of `allowed` statuses."""
    if experiment.status not in allowed:
        raise refuse(experiment, step, needs=allowed[0])


def move(
    session: Session,
    experiment: Experiment,
    target: v.Status,
    *,
    actor_id: str,
    detail: str | None = None,
    gate: v.Gate | None = None,
    evidence: Evidence | None = None,
) -> None:
    """Change status, record it and queue the card's update (and, when the experiment closes, the
    reply asking what we learned); a transition the lifecycle does not allow is a bug upstream.
    `gate` names the review or sign-off whose decision caused the move, `evidence` what it was
    made on."""
    if target not in TRANSITIONS[experiment.status]:
        raise InvalidTransition(f"{describe(experiment)}; it can't become {target.replace('_', ' ')}.")
    previous = experiment.status
    touch(experiment, status=target)
    session.add(experiment)
    audit.record(
        session,
        team_id=experiment.team_id,
        experiment_id=experiment.id,
        actor_id=actor_id,
        action=v.Step.status(target),
        detail=v.transition_detail(previous, target, detail),
        gate=gate,
        evidence_digest=evidence.digest if evidence is not None else None,
    )
    delivery.refresh_experiment(session, experiment, actor_id=actor_id)
    # The project card lists its experiments' statuses.
    delivery.refresh_projects_of(session, experiment, actor_id=actor_id)
    if target in v.CLOSED_STATUSES:
        # Queued after the card's update, so the prompt replies under the card as it now is.
        delivery.notice(session, experiment, delivery.LearningPrompt(actor_id))


def changed(
    session: Session,
    experiment: Experiment,
    *,
    actor_id: str,
    action: v.Action,
    detail: str | None = None,
    evidence: Evidence | None = None,
) -> None:
    """Record a change that keeps the status (a click, a tick, a metric) and queue the card's
    update; `evidence` is what a decision recorded here was made on."""
    touch(experiment)
    session.add(experiment)
    audit.record(
        session,
        team_id=experiment.team_id,
        experiment_id=experiment.id,
        actor_id=actor_id,
        action=action,
        detail=detail,
        evidence_digest=evidence.digest if evidence is not None else None,
    )
    delivery.refresh_experiment(session, experiment, actor_id=actor_id)
