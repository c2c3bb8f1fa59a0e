"""Queries over the runs and model versions linked to experiments (`EvidenceLink`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlmodel import Session, col, or_, select

from storage.models import EvidenceLink, Experiment
from storage.vocabulary import Status


def of_experiment(session: Session, *, experiment_id: int) -> Sequence[EvidenceLink]:
    """In the order they were linked."""
    query = (
        select(EvidenceLink).where(EvidenceLink.experiment_id == experiment_id).order_by(col(EvidenceLink.id))
    )
    return session.exec(query).all()


def with_run(session: Session, *, run_id: str) -> Sequence[tuple[EvidenceLink, Experiment]]:
    """Every experiment, in any workspace, that links this run or a version made from it."""
    query = (
        select(EvidenceLink, Experiment)
        .join(Experiment, col(Experiment.id) == EvidenceLink.experiment_id)
        .where(EvidenceLink.run_id == run_id)
        .order_by(col(EvidenceLink.id))
    )
    return session.exec(query).all()


def with_version(
    session: Session, *, model: str, version: str | None = None
) -> Sequence[tuple[EvidenceLink, Experiment]]:
    """The links to versions of `model` (to `version`, if given), in any workspace."""
    query = (
        select(EvidenceLink, Experiment)
        .join(Experiment, col(Experiment.id) == EvidenceLink.experiment_id)
        .where(EvidenceLink.model == model)
        .order_by(col(EvidenceLink.id))
    )
    if version is not None:
        query = query.where(EvidenceLink.version == version)
    return session.exec(query).all()


def due_for_reading(
    session: Session, *, statuses: Collection[Status], read_before: datetime, limit: int
) -> Sequence[Experiment]:
    """Experiments in `statuses` with a link last read (or tried) before `read_before`, in id
    order (a read, even a failed one, moves its experiment back), in one query."""
    stale = select(EvidenceLink.experiment_id).where(
        or_(col(EvidenceLink.read_at).is_(None), col(EvidenceLink.read_at) < read_before)
    )
    query = (
        select(Experiment)
        .where(col(Experiment.status).in_(list(statuses)), col(Experiment.id).in_(stale))
        .order_by(col(Experiment.id))
        .limit(limit)
    )
    return session.exec(query).all()
