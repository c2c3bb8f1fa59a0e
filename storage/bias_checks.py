"""Queries over bias checks: an experiment's (the agenda finds experiments that have none)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import BiasCheck

PASSED = "passed"


def of_experiment(session: Session, *, experiment_id: int) -> Sequence[BiasCheck]:
    return session.exec(
        select(BiasCheck).where(BiasCheck.experiment_id == experiment_id).order_by(col(BiasCheck.id))
    ).all()
