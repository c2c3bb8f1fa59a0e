"""Submitting an experiment, ticking its checklist, deciding its reviews, withdrawing it."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlmodel import Session

from storage import experiments as queries
from storage import links as link_queries
from storage.models import ChecklistItem, EvidenceLink, Experiment, Metric, Review
from storage.types import utcnow
from workflow import bias_checks, criteria, delivery, lifecycle, staleness
from workflow import facts as platform
from workflow import vocabulary as v
from workflow.errors import InvalidInput, InvalidTransition
from workflow.evidence import Evidence, read_soon
from workflow.experiments import get, ref
from workflow.outcome import Outcome
from workflow.permissions import Policy, require_not_owner, require_owner, require_role

ETHICS = v.ReviewKind.ETHICS


def validate_artifacts(text: str) -> str:
    artifacts = text.strip()
    if not artifacts:
        raise InvalidInput(
            "Add the artifacts reviewers should look at: links to the eval report, model card, "
            "dashboards, and the rollback plan, e.g. `/experiment submit EXP-1 eval: https://… rollback: …`."
        )
    if len(artifacts) > v.ARTIFACTS_MAX_CHARS:
        raise InvalidInput(
            f"The artifacts are {len(artifacts)} characters; keep them to {v.ARTIFACTS_MAX_CHARS} "
            "by linking to documents instead of pasting them."
        )
    return artifacts


def validate_reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidInput("Say why, so the owner knows what to change.")
    if len(reason) > v.REASON_MAX_CHARS:
        raise InvalidInput(f"The reason is {len(reason)} characters; keep it to {v.REASON_MAX_CHARS}.")
    return reason


def check_submit(
    session: Session, *, team_id: str, number: int, actor_id: str, for_update: bool = False
) -> Experiment:
    """The experiment, if `actor_id` may submit it now."""
    experiment = get(session, team_id=team_id, number=number, for_update=for_update)
    require_owner(experiment, actor_id, "submit it for review")
    lifecycle.require_status(
        experiment, f"submit {ref(number)}", v.Status.PROPOSED, v.Status.CHANGES_REQUESTED
    )
    return experiment


def submit(session: Session, *, team_id: str, number: int, actor_id: str, artifacts: str) -> Outcome:
    """Send a proposed experiment (or one sent back for changes) to review with its artifacts."""
    artifacts = validate_artifacts(artifacts)
    experiment = check_submit(session, team_id=team_id, number=number, actor_id=actor_id, for_update=True)
    assert experiment.id is not None
    resubmission = experiment.status == v.Status.CHANGES_REQUESTED
    present = {item.key for item in queries.checklist(session, experiment_id=experiment.id)}
    for key in v.CHECKLIST:
        if key not in present:
            session.add(ChecklistItem(team_id=team_id, experiment_id=experiment.id, key=key))
    if resubmission:
        # Reviews that asked for changes look again; approved ones stand unless the new artifacts
        # make them stale (below).
        for review in queries.reviews(session, experiment_id=experiment.id):
            if review.status == v.ReviewState.CHANGES_REQUESTED:
                _reset(review)
                session.add(review)
    experiment.artifacts = artifacts
    lifecycle.move(
        session,
        experiment,
        v.Status.IN_REVIEW,
        actor_id=actor_id,
        detail=("resubmitted with: " if resubmission else "submitted with: ") + artifacts,
    )
    if resubmission:
        # The review message is updated in place, which notifies nobody: say so in the thread.
        delivery.notice(session, experiment, delivery.Resubmitted(actor_id))
        # Approvals stand only if made on what is submitted now (the same artifacts and metrics).
        staleness.after_evidence_change(session, experiment, actor_id=actor_id)
    read_soon(session, experiment)
    return Outcome(experiment, moved_to=v.Status.IN_REVIEW)


def _reset(review: Review) -> None:
    review.status = v.ReviewState.PENDING
    review.reviewer_id = None
    review.reason = None
    review.decided_at = None


def tick(
    session: Session,
    *,
    team_id: str,
    number: int,
    actor_id: str,
    ticked: Collection[str],
    unticked: Collection[str],
) -> Outcome:
    """The owner ticks or unticks checklist items; the last tick may complete the review."""
    unknown = [key for key in (*ticked, *unticked) if key not in v.CHECKLIST]
    if unknown:
        raise InvalidInput(f"Unknown checklist item `{unknown[0][:40]}`.")
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    if experiment.criteria and criteria.COMPUTED_ITEM in (*ticked, *unticked):
        raise InvalidInput(
            f"*{v.CHECKLIST[criteria.COMPUTED_ITEM]}* is checked against {ref(number)}'s success criteria "
            f"(`{experiment.criteria}`), not ticked by hand."
        )
    require_owner(experiment, actor_id, "tick its review checklist")
    lifecycle.require_status(
        experiment, "change the checklist", v.Status.IN_REVIEW, v.Status.CHANGES_REQUESTED
    )
    assert experiment.id is not None
    changes = []
    now = utcnow()
    for item in queries.checklist(session, experiment_id=experiment.id):
        if item.key in ticked and item.checked_by is None:
            item.checked_by, item.checked_at = actor_id, now
        elif item.key in unticked and item.checked_by is not None:
            item.checked_by, item.checked_at = None, None
        else:
            continue
        session.add(item)
        changes.append(("ticked " if item.checked_by else "unticked ") + v.CHECKLIST[item.key])
    if not changes:
        return Outcome(experiment, changed=False)
    lifecycle.changed(
        session, experiment, actor_id=actor_id, action=v.AuditAction.CHECKLIST, detail="; ".join(changes)
    )
    if staleness.after_evidence_change(session, experiment, actor_id=actor_id) is not None:
        return Outcome(
            experiment, note="Unticking that reopened approved reviews; the thread tells their reviewers."
        )
    return Outcome(experiment, moved_to=complete_if_reviewed(session, experiment, actor_id))


def decide(
    session: Session,
    *,
    team_id: str,
    number: int,
    kind: str,
    decision: str,
    actor_id: str,
    policy: Policy,
    reason: str = "",
) -> Outcome:
    """A reviewer approves their review, requests changes, or rejects the experiment."""
    kind, decision = _parse(kind, decision)
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    review = check_decision(
        session, experiment, kind=kind, decision=decision, actor_id=actor_id, policy=policy
    )
    if review is None:
        return Outcome(experiment, changed=False, note=f"You already approved the {kind} review.")
    # Whatever the decision, what it was made on is re-read, so the reply shows it fresh.
    read_soon(session, experiment)
    review.reviewer_id = actor_id
    review.decided_at = utcnow()
    review.stale_note = None
    # What the decision was made on, kept with it in the same transaction.
    evidence = Evidence.of(session, experiment)
    review.evidence = evidence.encode()
    if decision == v.Decision.APPROVE:
        review.status = v.ReviewState.APPROVED
        session.add(review)
        lifecycle.changed(
            session,
            experiment,
            actor_id=actor_id,
            action=v.Step.review(kind),
            detail=v.ReviewState.APPROVED,
            evidence=evidence,
        )
        return Outcome(experiment, moved_to=complete_if_reviewed(session, experiment, actor_id))
    why = review.reason = validate_reason(reason)
    review.status = (
        v.ReviewState.CHANGES_REQUESTED if decision == v.Decision.REQUEST_CHANGES else v.ReviewState.REJECTED
    )
    session.add(review)
    target = v.Status.CHANGES_REQUESTED if decision == v.Decision.REQUEST_CHANGES else v.Status.REJECTED
    # The decision and its reason go in the thread before what the move queues after a close
    # (the learning prompt); the notice renders the status at send time.
    delivery.notice(session, experiment, delivery.Decided(actor_id, kind, why))
    news = (
        delivery.News.CHANGES_REQUESTED if decision == v.Decision.REQUEST_CHANGES else delivery.News.REJECTED
    )
    delivery.tell_owner(session, experiment, news, actor_id=actor_id, detail=f"{kind} review: {why}")
    lifecycle.move(
        session,
        experiment,
        target,
        actor_id=actor_id,
        detail=v.review_decision(kind, why),
        gate=kind,
        evidence=evidence,
    )
    return Outcome(experiment, moved_to=target)


def _parse(kind: str, decision: str) -> tuple[v.ReviewKind, v.Decision]:
    review_kind, choice = v.parse(v.ReviewKind, kind), v.parse(v.Decision, decision)
    if review_kind is None or choice is None:
        raise InvalidInput(f"Unknown review `{kind[:20]} {decision[:20]}`.")
    return review_kind, choice


def check_decision(
    session: Session, experiment: Experiment, *, kind: str, decision: str, actor_id: str, policy: Policy
) -> Review | None:
    """Refuse a review decision the actor may not make now; None if they already made it.

    Called before a reason modal opens, so a refused click never asks for a reason.
    """
    kind, decision = _parse(kind, decision)
    verb = {
        v.Decision.APPROVE: "approve",
        v.Decision.REQUEST_CHANGES: "request changes in",
        v.Decision.REJECT: "reject",
    }[decision]
    step = (
        f"{verb} the {kind} review" if decision != v.Decision.REJECT else f"reject {ref(experiment.number)}"
    )
    require_not_owner(experiment, actor_id, step, policy)
    require_role(session, experiment, actor_id, v.REVIEWER_ROLE[kind], step)
    assert experiment.id is not None
    review = next(r for r in queries.reviews(session, experiment_id=experiment.id) if r.kind == kind)
    if (
        decision == v.Decision.APPROVE
        and review.status == v.ReviewState.APPROVED
        and review.reviewer_id == actor_id
    ):
        return None
    allowed = (
        (v.Status.IN_REVIEW, v.Status.CHANGES_REQUESTED)
        if decision == v.Decision.REJECT
        else (v.Status.IN_REVIEW,)
    )
    lifecycle.require_status(experiment, step, *allowed)
    # Reject may follow a request for changes, but never overwrites someone's approval.
    still_open = (
        (v.ReviewState.PENDING, v.ReviewState.CHANGES_REQUESTED)
        if decision == v.Decision.REJECT
        else (v.ReviewState.PENDING,)
    )
    if review.status not in still_open:
        raise InvalidTransition(
            f"The {kind} review of {ref(experiment.number)} was already decided "
            f"({review.status.replace('_', ' ')}); it reopens if the owner resubmits."
        )
    if decision == v.Decision.APPROVE and kind == ETHICS and policy.require_bias_check:
        bias_checks.require_passed(session, experiment)
    return review


def complete_if_reviewed(session: Session, experiment: Experiment, actor_id: str) -> str | None:
    """In review with every review approved and every item ticked: the experiment is reviewed."""
    if experiment.status != v.Status.IN_REVIEW or missing_reviews(session, experiment):
        return None
    lifecycle.move(
        session, experiment, v.Status.REVIEWED, actor_id=actor_id, detail="all reviews and checklist done"
    )
    delivery.tell_owner(session, experiment, delivery.News.REVIEWED, actor_id=actor_id)
    return v.Status.REVIEWED


def missing_reviews(session: Session, experiment: Experiment) -> list[str]:
    """What stands between the experiment and `reviewed`, one phrase each."""
    assert experiment.id is not None
    missing = []
    if experiment.status == v.Status.PROPOSED:
        missing.append(f"submission for review (`/experiment submit {ref(experiment.number)} <artifacts>`)")
    for review in queries.reviews(session, experiment_id=experiment.id):
        if review.status != v.ReviewState.APPROVED:
            missing.append(f"{review.kind} review ({review.status.replace('_', ' ')})")
    ticked = {i.key for i in queries.checklist(session, experiment_id=experiment.id) if i.checked_by}
    judged = judge_criteria(session, experiment)
    if judged is not None:
        # Declared criteria decide this item from the evidence; a hand tick does not count.
        ticked.discard(criteria.COMPUTED_ITEM)
        if criteria.all_pass(judged):
            ticked.add(criteria.COMPUTED_ITEM)
        else:
            missing += [f"criteria: {phrase}" for phrase in criteria.failing(judged)]
    missing += [
        f"checklist: {label}"
        for key, label in v.CHECKLIST.items()
        if key not in ticked and not (key == criteria.COMPUTED_ITEM and judged is not None)
    ]
    return missing


def judge_criteria(session: Session, experiment: Experiment) -> list[criteria.Check] | None:
    """The experiment's success criteria against its evidence now; None when it declared none."""
    if not experiment.criteria:
        return None
    assert experiment.id is not None
    return judge(
        experiment,
        link_queries.of_experiment(session, experiment_id=experiment.id),
        queries.metrics(session, experiment_id=experiment.id),
    )


def judge(
    experiment: Experiment, links: Sequence[EvidenceLink], metrics: Sequence[Metric]
) -> list[criteria.Check] | None:
    """`judge_criteria` on rows already read (a card's detail)."""
    declared = criteria.parse(experiment.criteria or "")
    if not declared:
        return None
    candidate = platform.with_role(links, v.EvidenceRole.CANDIDATE)
    run = platform.run_of(candidate) if candidate is not None else None
    recorded = {m.name: m.value for m in metrics}
    return criteria.check(
        declared,
        run=run.metrics if run is not None else None,
        run_name=run.name if run is not None else None,
        recorded=recorded,
    )


def withdraw(session: Session, *, team_id: str, number: int, actor_id: str, reason: str = "") -> Outcome:
    if len(reason) > v.REASON_MAX_CHARS:
        raise InvalidInput(f"The reason is {len(reason)} characters; keep it to {v.REASON_MAX_CHARS}.")
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    require_owner(experiment, actor_id, "withdraw it")
    lifecycle.require_status(experiment, f"withdraw {ref(number)}", *v.OPEN_STATUSES)
    lifecycle.move(session, experiment, v.Status.WITHDRAWN, actor_id=actor_id, detail=reason.strip() or None)
    return Outcome(experiment, moved_to=v.Status.WITHDRAWN)
