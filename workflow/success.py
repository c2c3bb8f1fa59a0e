"""Declaring an experiment's success criteria (`/experiment criteria EXP-4 accuracy>=0.90`)."""

from __future__ import annotations

from sqlmodel import Session

from storage import roles
from workflow import criteria, lifecycle, review, staleness
from workflow import vocabulary as v
from workflow.errors import NotAllowed
from workflow.experiments import get, ref
from workflow.metrics import stale_note
from workflow.outcome import Outcome

CLEAR = ("none", "clear", "-")


def declare(session: Session, *, team_id: str, number: int, actor_id: str, text: str) -> Outcome:
    """Set (or, with `none`, clear) the criteria; changed after the submit, the change is
    recorded and flagged on the review reply."""
    declared = () if text.strip().lower() in CLEAR else criteria.parse(text)
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    if actor_id != experiment.owner_id and not roles.roles_of(session, team_id=team_id, user_id=actor_id):
        raise NotAllowed(
            f"Only the owner of {ref(number)} or someone holding a team role (`/aiteam roles`) may set "
            "its success criteria."
        )
    if experiment.status in v.CLOSED_STATUSES or experiment.status == v.Status.PRODUCTION:
        raise lifecycle.refuse(experiment, f"change the success criteria of {ref(number)}")
    before, after = experiment.criteria, criteria.render(declared)
    if before == after:
        return Outcome(experiment, changed=False, note=f"{ref(number)} already has those criteria.")
    experiment.criteria = after
    if experiment.status != v.Status.PROPOSED:
        # Moving the goalposts after the evidence was submitted is allowed, and visible.
        experiment.criteria_note = f"changed after submit (was {before or 'none'}); see the history"
    lifecycle.changed(
        session,
        experiment,
        actor_id=actor_id,
        action=v.AuditAction.CRITERIA,
        detail=f"{before or 'none'} → {after or 'none'}",
    )
    stale = staleness.after_evidence_change(session, experiment, actor_id=actor_id)
    moved = review.complete_if_reviewed(session, experiment, actor_id) if stale is None else None
    return Outcome(experiment, moved_to=moved, note=stale_note(stale))
