"""An experiment's audit trail, oldest first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from storage import audit
from storage.models import AuditEvent, Experiment
from workflow.experiments import get


def history(session: Session, *, team_id: str, number: int) -> tuple[Experiment, Sequence[AuditEvent]]:
    experiment = get(session, team_id=team_id, number=number)
    assert experiment.id is not None
    return experiment, audit.for_experiment(session, team_id=team_id, experiment_id=experiment.id)
