"""Promotion to production: the request for sign-off, the three sign-offs, and the plan.

Sign-offs are unique per experiment and role, and every step locks the experiment's row first,
so double clicks, retries and simultaneous clicks record each sign-off once and move the
experiment to production exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import experiments as queries
from storage import links as link_queries
from storage import roles
from storage.models import Approval, EvidenceLink, Experiment, Metric
from workflow import delivery, lifecycle
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed, NotReady
from workflow.evidence import Evidence, read_soon
from workflow.experiments import ExperimentDetail, get, ref
from workflow.outcome import Outcome
from workflow.permissions import Policy, require_not_owner, require_owner, require_role
from workflow.review import missing_reviews, validate_reason

ROLLOUT_STAGES = ("5% of traffic for 2 days", "25% for 3 days", "50% for 2 days", "100%")
REVIEW_AFTER = timedelta(days=14)
# An alert fires when a metric moves this far in the wrong direction from its recorded value.
ALERT_TOLERANCE = 0.10
# Words in a metric's name that say lower is better, and words that turn a name around
# (`cost_savings`, `error_reduction`). In `x_per_y` only `x` counts: `cost_per_1k` is a cost,
# `tokens_per_s` a throughput.
_LOWER_WORDS = frozenset(
    {"latency", "ms", "s", "sec", "seconds", "time", "duration", "cost", "error", "errors", "loss"}
    | {"perplexity", "toxicity", "hallucination", "p50", "p90", "p95", "p99"}
)
_HIGHER_WORDS = frozenset({"savings", "saved", "reduction", "uptime", "throughput", "availability"})
_ROLLBACK = re.compile(
    r"(?<![\w/.-])rollback(?:[ _-]plan)?(?:\s*[:=]|\s+-)\s*(.+?)(?:\s*[;\n]|$)", re.IGNORECASE
)


def missing_for_production(session: Session, experiment: Experiment) -> list[str]:
    """Everything production still needs: reviews, checklist items and sign-offs."""
    assert experiment.id is not None
    missing = missing_reviews(session, experiment) if experiment.status != v.Status.APPROVED else []
    given = {a.role for a in queries.approvals(session, experiment_id=experiment.id)}
    missing += [f"sign-off from {role}" for role in v.APPROVER_ROLES if role not in given]
    return missing


def promote(session: Session, *, team_id: str, number: int, actor_id: str) -> Outcome:
    """Ask for the three sign-offs; refused with the exact list of what is missing."""
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    require_owner(experiment, actor_id, "request its promotion")
    if experiment.status == v.Status.APPROVED:
        waiting = ", ".join(
            m.removeprefix("sign-off from ") for m in missing_for_production(session, experiment)
        )
        return Outcome(
            experiment,
            changed=False,
            note=f"{ref(number)} is already waiting for sign-off from {waiting}; see its thread.",
        )
    if experiment.status in v.CLOSED_STATUSES:
        raise lifecycle.refuse(experiment, f"promote {ref(number)}")
    if experiment.status != v.Status.REVIEWED:
        missing = missing_for_production(session, experiment)
        raise NotReady(f"{ref(number)} can't be promoted yet. Missing: " + "; ".join(missing) + ".", missing)
    if experiment.signoff_note is not None:
        # The last request closed when the evidence changed: this one is a new message in the
        # thread, and the old one stays closed, saying why.
        experiment.signoff_note, experiment.approval_message_ts = None, None
    lifecycle.move(session, experiment, v.Status.APPROVED, actor_id=actor_id, detail="sign-off requested")
    return Outcome(experiment, moved_to=v.Status.APPROVED)


def check_sign_off(
    session: Session, experiment: Experiment, *, role: v.Role, actor_id: str, policy: Policy
) -> Approval | None:
    """Refuse a sign-off the actor may not give now; the existing one if it is already theirs."""
    step = f"sign off {ref(experiment.number)} as {role}"
    require_not_owner(experiment, actor_id, step, policy)
    require_role(session, experiment, actor_id, role, step)
    assert experiment.id is not None
    given = queries.approvals(session, experiment_id=experiment.id)
    mine = next((a for a in given if a.role == role), None)
    if mine is not None and mine.approver_id == actor_id:
        return mine
    lifecycle.require_status(experiment, step, v.Status.APPROVED)
    if mine is not None:
        raise NotAllowed(f"{ref(experiment.number)} already has its {role} sign-off.")
    other = next((a for a in given if a.approver_id == actor_id), None)
    if other is not None and not policy.allow_self_approval:
        raise NotAllowed(
            f"You already signed off {ref(experiment.number)} as {other.role}; "
            "each sign-off needs a different person."
        )
    return None


def _approver_role(role: str) -> v.Role:
    approver = v.parse(v.Role, role)
    if approver is None or approver not in v.APPROVER_ROLES:
        raise InvalidInput(f"`{role[:40]}` is not a sign-off role; they are {', '.join(v.APPROVER_ROLES)}.")
    return approver


def sign_off(
    session: Session,
    *,
    team_id: str,
    number: int,
    role: str,
    actor_id: str,
    policy: Policy,
    request: str | None = None,
) -> Outcome:
    """Give one sign-off. `request` names the request message the click came from (its ts): a
    click on a request that closed (the evidence changed, it expired) changes nothing, even
    while a newer request is open."""
    approver = _approver_role(role)
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    if request is not None and experiment.approval_message_ts not in (None, request):
        raise NotAllowed(
            f"That sign-off request for {ref(number)} closed; sign off in the newest one in its thread."
        )
    if check_sign_off(session, experiment, role=approver, actor_id=actor_id, policy=policy) is not None:
        return Outcome(experiment, changed=False, note=f"You already signed off {ref(number)} as {role}.")
    assert experiment.id is not None
    evidence = Evidence.of(session, experiment)
    try:
        # The unique (experiment, role) constraint is the last line against a duplicate.
        with session.begin_nested():
            session.add(
                Approval(
                    team_id=team_id,
                    experiment_id=experiment.id,
                    role=approver,
                    approver_id=actor_id,
                    evidence=evidence.encode(),
                )
            )
    except IntegrityError:
        return Outcome(experiment, changed=False, note=f"{ref(number)} already has its {role} sign-off.")
    lifecycle.changed(
        session,
        experiment,
        actor_id=actor_id,
        action=v.Step.signoff(approver),
        detail=v.ReviewState.APPROVED,
        evidence=evidence,
    )
    read_soon(session, experiment)
    if missing_for_production(session, experiment):
        return Outcome(experiment)
    lifecycle.move(session, experiment, v.Status.PRODUCTION, actor_id=actor_id, detail="all sign-offs given")
    if policy.promote_alias and registry_version(
        link_queries.of_experiment(session, experiment_id=experiment.id)
    ):
        # After the deployment plan that says so, through the queue: retried while MLflow is away.
        delivery.set_registry_alias(session, experiment, actor_id=actor_id)
    delivery.tell_owner(session, experiment, delivery.News.PRODUCTION, actor_id=actor_id)
    return Outcome(experiment, moved_to=v.Status.PRODUCTION)


def check_reject_promotion(
    session: Session, experiment: Experiment, *, actor_id: str, policy: Policy
) -> None:
    step = f"reject {ref(experiment.number)}"
    require_not_owner(experiment, actor_id, step, policy)
    held = roles.roles_of(session, team_id=experiment.team_id, user_id=actor_id)
    if not held & set(v.APPROVER_ROLES):
        raise NotAllowed(f"Only holders of {', '.join(v.APPROVER_ROLES)} may {step} at sign-off.")
    lifecycle.require_status(experiment, step, v.Status.APPROVED)


def reject_promotion(
    session: Session, *, team_id: str, number: int, actor_id: str, reason: str, policy: Policy
) -> Outcome:
    """A sign-off holder stops the experiment from reaching production."""
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    check_reject_promotion(session, experiment, actor_id=actor_id, policy=policy)
    reason = validate_reason(reason)
    # The rejection and its reason go in the thread before the learning prompt the move queues.
    delivery.notice(session, experiment, delivery.Decided(actor_id, v.SignOff.SIGN_OFF, reason))
    delivery.tell_owner(
        session, experiment, delivery.News.REJECTED, actor_id=actor_id, detail=f"at sign-off: {reason}"
    )
    lifecycle.move(
        session,
        experiment,
        v.Status.REJECTED,
        actor_id=actor_id,
        detail=f"at sign-off: {reason}",
        gate=v.SignOff.SIGN_OFF,
        evidence=Evidence.of(session, experiment),
    )
    return Outcome(experiment, moved_to=v.Status.REJECTED)


@dataclass(frozen=True)
class Threshold:
    metric: Metric
    lower_is_better: bool

    @property
    def limit(self) -> float:
        """The value past which an alert fires: the recorded value made 10% worse."""
        margin = abs(self.metric.value) * ALERT_TOLERANCE
        return self.metric.value + margin if self.lower_is_better else self.metric.value - margin


def lower_is_better(name: str) -> bool:
    words = name.lower().split("_")
    measured = set(words[: words.index("per")] if "per" in words else words)
    return bool(measured & _LOWER_WORDS) and not measured & _HIGHER_WORDS


def registry_version(links: Sequence[EvidenceLink]) -> EvidenceLink | None:
    """The model version that goes to production: the latest linked."""
    return next((link for link in reversed(links) if link.model is not None), None)


@dataclass(frozen=True)
class DeploymentPlan:
    experiment: Experiment
    stages: Sequence[str]
    rollback: str | None
    thresholds: Sequence[Threshold]
    alert_channel: str | None
    review_on: datetime
    # The registry step: the model version and the alias the bot sets on it (None: by hand).
    model: EvidenceLink | None = None
    promote_alias: str | None = None


def rollback_plan(artifacts: str | None) -> str | None:
    """The rollback plan the owner wrote in the artifacts (`rollback: …`), if they did."""
    match = _ROLLBACK.search(artifacts or "")
    return match.group(1).strip() if match else None


def deployment_plan(detail: ExperimentDetail, *, promote_alias: str | None = None) -> DeploymentPlan:
    e = detail.experiment
    return DeploymentPlan(
        experiment=e,
        stages=ROLLOUT_STAGES,
        rollback=rollback_plan(e.artifacts),
        thresholds=[Threshold(m, lower_is_better(m.name)) for m in detail.metrics],
        alert_channel=e.channel_id,
        review_on=e.status_changed_at + REVIEW_AFTER,
        model=registry_version(detail.links),
        promote_alias=promote_alias,
    )
