"""An experiment's audit trail, oldest first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from storage import audit
from storage.models import AuditEvent, Experiment
from workflow import vocabulary as v
from workflow.experiments import get


def history(session: Session, *, team_id: str, number: int) -> tuple[Experiment, Sequence[AuditEvent]]:
    experiment = get(session, team_id=team_id, number=number)
    assert experiment.id is not None
    return experiment, audit.for_experiment(session, team_id=team_id, experiment_id=experiment.id)


_DECIDED_ON = (f"{v.AuditAction.REVIEW}:", f"{v.AuditAction.SIGNOFF}:")


def is_decision(event: AuditEvent) -> bool:
    """A review decision or a sign-off (given, or a rejection that moved the status): what rests
    on evidence. Those recorded before evidence was kept have no digest."""
    return event.gate is not None or event.action.startswith(_DECIDED_ON)
