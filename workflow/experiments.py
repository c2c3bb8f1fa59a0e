"""Proposing, finding and listing experiments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from storage import audit
from storage import bias_checks as bias_queries
from storage import experiments as queries
from storage import links as link_queries
from storage.experiments import Slot
from storage.models import Approval, BiasCheck, ChecklistItem, EvidenceLink, Experiment, Metric, Review
from storage.types import utcnow
from workflow import delivery, estimates
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotFound
from workflow.refs import ref

_REF = re.compile(r"^(?:EXP-?)?(\d{1,9})$", re.IGNORECASE)

# What a list filter shows, named by the status it is about: in_review includes the experiments
# sent back for changes.
_FILTER_STATUSES: dict[str, tuple[v.Status, ...]] = {
    v.Status.PROPOSED: (v.Status.PROPOSED,),
    v.Status.IN_REVIEW: (v.Status.IN_REVIEW, v.Status.CHANGES_REQUESTED, v.Status.REVIEWED),
    v.Status.APPROVED: (v.Status.APPROVED,),
    v.Status.PRODUCTION: (v.Status.PRODUCTION,),
}
LIST_FILTERS = (*_FILTER_STATUSES, "mine", "all")


def parse_ref(text: str) -> int:
    """`EXP-12` (or `exp-12`, `12`) → 12; anything else is an InvalidInput."""
    match = _REF.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"`{text.strip()[:40]}` is not an experiment id; ids look like `EXP-12`.")
    return int(match.group(1))


def validate_hypothesis(text: str) -> str:
    hypothesis = " ".join(text.split())
    if not hypothesis:
        raise InvalidInput(
            "Write the hypothesis you want to test, e.g. `Adding retrieval improves accuracy`."
        )
    if len(hypothesis) > v.HYPOTHESIS_MAX_CHARS:
        raise InvalidInput(
            f"The hypothesis is {len(hypothesis)} characters; keep it under {v.HYPOTHESIS_MAX_CHARS} "
            "and put the detail in the artifacts when you submit."
        )
    return hypothesis


def validate_workstream(text: str) -> str:
    workstream = text.strip().lower()
    if workstream not in v.WORKSTREAMS:
        raise InvalidInput(f"Unknown workstream `{text[:40]}`; choose one of {', '.join(v.WORKSTREAMS)}.")
    return workstream


@dataclass(frozen=True)
class Proposal:
    """A proposal checked and estimated: all that needs only reads, so a caller can work it out
    before taking SQLite's write lock and hold that lock just for the inserts (`create`)."""

    team_id: str
    owner_id: str
    hypothesis: str
    workstream: str
    estimate: estimates.Estimate
    channel_id: str | None = None
    project_id: int | None = None
    criteria: str | None = None  # success criteria declared up front, canonical


def prepare(
    session: Session,
    *,
    team_id: str,
    owner_id: str,
    hypothesis: str,
    workstream: str = v.DEFAULT_WORKSTREAM,
    channel_id: str | None = None,
    project_id: int | None = None,
) -> Proposal:
    """Check a proposal and learn its timeline estimate from the team's history (`estimates`)."""
    hypothesis = validate_hypothesis(hypothesis)
    workstream = validate_workstream(workstream)
    return Proposal(
        team_id=team_id,
        owner_id=owner_id,
        hypothesis=hypothesis,
        workstream=workstream,
        estimate=estimates.estimate(session, team_id=team_id, workstream=workstream, project_id=project_id),
        channel_id=channel_id,
        project_id=project_id,
    )


def create(session: Session, proposal: Proposal) -> Experiment:
    """Create the experiment with its pending reviews and its audit record, and queue its card.

    The estimate is fixed now, as `prepare` learned it."""
    experiment = Experiment(
        team_id=proposal.team_id,
        number=queries.next_number(session, team_id=proposal.team_id),
        hypothesis=proposal.hypothesis,
        workstream=proposal.workstream,
        owner_id=proposal.owner_id,
        status=v.Status.PROPOSED,
        timeline_weeks=v.WORKSTREAMS[proposal.workstream],
        estimate_days=proposal.estimate.days,
        estimate_basis=proposal.estimate.basis,
        channel_id=proposal.channel_id,
        criteria=proposal.criteria,
    )
    queries.insert_with_reviews(session, experiment, review_kinds=tuple(v.ReviewKind))
    assert experiment.id is not None
    audit.record(
        session,
        team_id=proposal.team_id,
        experiment_id=experiment.id,
        actor_id=proposal.owner_id,
        action=v.AuditAction.PROPOSED,
        detail=f"workstream {proposal.workstream}"
        + (f"; success criteria {proposal.criteria}" if proposal.criteria else ""),
    )
    delivery.refresh_experiment(session, experiment, actor_id=proposal.owner_id)
    return experiment


def get(session: Session, *, team_id: str, number: int, for_update: bool = False) -> Experiment:
    experiment = queries.get_by_number(session, team_id=team_id, number=number, for_update=for_update)
    if experiment is None:
        raise NotFound(f"There is no experiment {ref(number)} here.")
    return experiment


def record_posted(session: Session, *, experiment_id: int, slot: Slot, ts: str) -> bool:
    """Remember where the card or a thread reply was posted; False if it was recorded already.

    A project's card links to the cards of its experiments, by their ts: one drawn before this
    card's ts was known shows the experiment unlinked, so the card's first ts redraws it."""
    stored = queries.store_ts(session, experiment_id=experiment_id, slot=slot, ts=ts)
    if stored and slot is Slot.CARD:
        delivery.refresh_projects_of_id(session, experiment_id=experiment_id, actor_id=None)
    return stored


def touch(experiment: Experiment, *, status: v.Status | None = None) -> None:
    """Mark a change; a new status also restarts the clock that nudges are measured from."""
    now = utcnow()
    experiment.updated_at = now
    if status is not None and status != experiment.status:
        experiment.status = status
        experiment.status_changed_at = now
        # Nudges and their escalation count within one status.
        experiment.nudge_count, experiment.escalated_at = 0, None


@dataclass(frozen=True)
class ExperimentDetail:
    """An experiment with everything a card or a detail view shows."""

    experiment: Experiment
    reviews: Sequence[Review]
    checklist: Sequence[ChecklistItem]
    approvals: Sequence[Approval]
    metrics: Sequence[Metric]
    bias_checks: Sequence[BiasCheck] = ()
    links: Sequence[EvidenceLink] = ()  # runs and model versions in the ML platform

    @property
    def ref(self) -> str:
        return ref(self.experiment.number)

    def replies_due(self) -> list[Slot]:
        """The thread replies the experiment has reached, in the order they appear in the thread."""
        status = self.experiment.status
        due = [Slot.REVIEW] if self.checklist else []
        if status in (v.Status.APPROVED, v.Status.PRODUCTION):
            due.append(Slot.SIGNOFF)
        if status == v.Status.PRODUCTION:
            due.append(Slot.DEPLOYMENT)
        return due


def detail(session: Session, experiment: Experiment) -> ExperimentDetail:
    assert experiment.id is not None
    return _detail(session, experiment, queries.reviews(session, experiment_id=experiment.id))


def detail_of(session: Session, experiment_id: int) -> ExperimentDetail | None:
    """The detail of the experiment with this id, None if it is gone: the experiment and its
    reviews come in one read (a card is rendered from this on every change)."""
    experiment, reviews = queries.with_reviews(session, experiment_id=experiment_id)
    return None if experiment is None else _detail(session, experiment, reviews)


def _detail(session: Session, experiment: Experiment, reviews: Sequence[Review]) -> ExperimentDetail:
    assert experiment.id is not None
    if experiment.status == v.Status.PROPOSED:
        # Never submitted (no way leads back to proposed): no checklist yet, and no approvals
        # or bias checks, which need a submitted experiment. The most frequent render, a new
        # card, reads two tables instead of five.
        # Measured (89204db, bench.phases): the send phase 2.6 -> 1.7 ms of CPU.
        return ExperimentDetail(
            experiment=experiment,
            reviews=reviews,
            checklist=[],
            approvals=[],
            metrics=queries.metrics(session, experiment_id=experiment.id),
            bias_checks=[],
            links=link_queries.of_experiment(session, experiment_id=experiment.id),
        )
    return ExperimentDetail(
        experiment=experiment,
        reviews=reviews,
        checklist=queries.checklist(session, experiment_id=experiment.id),
        approvals=queries.approvals(session, experiment_id=experiment.id),
        metrics=queries.metrics(session, experiment_id=experiment.id),
        bias_checks=bias_queries.of_experiment(session, experiment_id=experiment.id),
        links=link_queries.of_experiment(session, experiment_id=experiment.id),
    )


@dataclass(frozen=True)
class ExperimentPage:
    items: Sequence[Experiment]
    total: int
    filter: str


def list_experiments(
    session: Session, *, team_id: str, user_id: str, filter: str = "all", limit: int = 15
) -> ExperimentPage:
    key = filter.strip().lower() or "all"
    if key not in LIST_FILTERS:
        raise InvalidInput(f"Unknown filter `{filter[:40]}`; use one of {', '.join(LIST_FILTERS)}.")
    items, total = queries.list_for_team(
        session,
        team_id=team_id,
        statuses=_FILTER_STATUSES.get(key),
        owner_id=user_id if key == "mine" else None,
        limit=limit,
    )
    return ExperimentPage(items=items, total=total, filter=key)
