"""Queries over bias checks: an experiment's (the agenda finds experiments that have none)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage.models import BiasCheck

PASSED = "passed"


# Read with every render of a card: built once.
_OF_EXPERIMENT = (
    select(BiasCheck).where(BiasCheck.experiment_id == bindparam("experiment_id")).order_by(col(BiasCheck.id))
)


def of_experiment(session: Session, *, experiment_id: int) -> Sequence[BiasCheck]:
    return session.exec(_OF_EXPERIMENT, params={"experiment_id": experiment_id}).all()
