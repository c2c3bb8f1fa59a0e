"""Decisions go stale when the evidence they were made on changes.

Called in the transaction of every change to an experiment's evidence (a metric recorded with a
new value, a checklist item unticked, a resubmission with other artifacts), after the change.
Before production, each approved review whose kept evidence differs from the evidence now
reopens, and a sign-off request in progress closes: its sign-offs stop counting, and
`/experiment promote` asks all three again once the reviews are approved again. The people who
decided are told once in the thread what changed, the card shows each stale review until it is
decided again, and the history records it. Decisions made before evidence was kept have none to
compare and never go stale retroactively. After production, a change is recorded as post-launch
by the caller and reopens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from storage import audit
from storage import experiments as queries
from storage.models import Approval, Experiment, Review
from workflow import delivery, lifecycle
from workflow import vocabulary as v
from workflow.evidence import Evidence

# Statuses in which a given decision still matters and can go stale.
_DECIDING = (v.Status.IN_REVIEW, v.Status.CHANGES_REQUESTED, v.Status.REVIEWED, v.Status.APPROVED)


@dataclass(frozen=True)
class Stale:
    """What went stale in one change: the reviews reopened, the sign-offs that stopped counting,
    and what changed since the latest of those decisions."""

    reviews: tuple[Review, ...]
    signoffs: tuple[Approval, ...]
    changes: tuple[str, ...]

    @property
    def changed(self) -> str:
        """`accuracy 0.91 → 0.84; unticked Documentation complete`."""
        return "; ".join(self.changes)

    def summary(self) -> str:
        """`technical review, security sign-off: accuracy 0.91 → 0.84`."""
        what = [f"{r.kind} review" for r in self.reviews] + [f"{a.role} sign-off" for a in self.signoffs]
        return f"{', '.join(what)}: {self.changed}"


def after_evidence_change(session: Session, experiment: Experiment, *, actor_id: str) -> Stale | None:
    """Reopen what the change made stale, in the change's transaction; None when nothing did."""
    if experiment.status not in _DECIDING:
        return None
    assert experiment.id is not None
    now = Evidence.of(session, experiment)
    reviews = [
        r
        for r in queries.reviews(session, experiment_id=experiment.id)
        if r.status == v.ReviewState.APPROVED and _differs(r.evidence, now)
    ]
    given = list(queries.approvals(session, experiment_id=experiment.id))
    closing = experiment.status == v.Status.APPROVED and (
        bool(reviews) or any(_differs(a.evidence, now) for a in given)
    )
    signoffs = given if closing else []
    if not reviews and not signoffs:
        return None
    # What changed is told against the latest decision that kept its evidence.
    kept = [(r.decided_at or experiment.created_at, r.evidence) for r in reviews]
    kept += [(a.approved_at, a.evidence) for a in signoffs]
    _, latest = max((at, evidence) for at, evidence in kept if evidence is not None)
    stale = Stale(
        tuple(reviews), tuple(signoffs), tuple(now.changes_since(Evidence.decode(latest), additions=False))
    )
    mentions = [r.reviewer_id for r in reviews] + [a.approver_id for a in signoffs]
    for review in reviews:
        review.stale_note = stale.changed
        review.status, review.reviewer_id, review.decided_at = v.ReviewState.PENDING, None, None
        review.evidence = None
        session.add(review)
    for approval in signoffs:
        session.delete(approval)
    audit.record(
        session,
        team_id=experiment.team_id,
        experiment_id=experiment.id,
        actor_id=actor_id,
        action=v.AuditAction.STALE,
        detail=stale.summary(),
        evidence_digest=now.digest,
    )
    if signoffs:
        experiment.signoff_note = f"the evidence changed ({stale.changed})"
        session.add(experiment)
    people = tuple(dict.fromkeys(m for m in mentions if m))
    delivery.notice(session, experiment, delivery.WentStale(actor_id, people, stale.summary()))
    delivery.tell_owner(session, experiment, delivery.News.STALE, actor_id=actor_id, detail=stale.summary())
    if experiment.status in (v.Status.REVIEWED, v.Status.APPROVED):
        target = v.Status.IN_REVIEW if reviews else v.Status.REVIEWED
        lifecycle.move(session, experiment, target, actor_id=actor_id, detail=f"stale: {stale.summary()}")
    return stale


def _differs(kept: str | None, now: Evidence) -> bool:
    return kept is not None and now.departs_from(Evidence.decode(kept))
