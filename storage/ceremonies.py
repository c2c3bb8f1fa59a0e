"""Queries over ceremonies and their runs (one row per occurrence that was claimed)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.installations import still_installed
from storage.models import Ceremony, CeremonyRun
from storage.statements import rows_changed


class RunStatus(StrEnum):
    """Where one occurrence stands. `queued`: its reminder waits in the delivery queue."""

    QUEUED = "queued"
    POSTED = "posted"
    FAILED = "failed"
    SKIPPED = "skipped"


def for_team(session: Session, *, team_id: str) -> Sequence[Ceremony]:
    return session.exec(
        select(Ceremony).where(Ceremony.team_id == team_id).order_by(col(Ceremony.name))
    ).all()


def by_name(session: Session, *, team_id: str, name: str) -> Ceremony | None:
    return session.exec(select(Ceremony).where(Ceremony.team_id == team_id, Ceremony.name == name)).first()


def active(session: Session) -> Sequence[Ceremony]:
    """Every ceremony that is not paused, in every workspace that has the app installed."""
    return session.exec(
        select(Ceremony)
        .where(col(Ceremony.paused).is_(False), still_installed(Ceremony.team_id))
        .order_by(col(Ceremony.id))
    ).all()


def runs_due(
    session: Session, *, ceremony_ids: Collection[int], due: Collection[datetime]
) -> dict[tuple[int, datetime], CeremonyRun]:
    """The runs already recorded for these (ceremony, due time) pairs."""
    if not ceremony_ids:
        return {}
    rows = session.exec(
        select(CeremonyRun).where(
            col(CeremonyRun.ceremony_id).in_(ceremony_ids), col(CeremonyRun.due_at).in_(due)
        )
    ).all()
    return {(r.ceremony_id, r.due_at): r for r in rows}


def last_run(session: Session, *, ceremony_id: int) -> CeremonyRun | None:
    return session.exec(
        select(CeremonyRun)
        .where(CeremonyRun.ceremony_id == ceremony_id)
        .order_by(col(CeremonyRun.due_at).desc())
        .limit(1)
    ).first()


def last_posted_before(session: Session, *, ceremony_id: int, before: datetime) -> datetime | None:
    return session.exec(
        select(func.max(CeremonyRun.due_at)).where(
            CeremonyRun.ceremony_id == ceremony_id,
            CeremonyRun.status == RunStatus.POSTED,
            col(CeremonyRun.due_at) < before,
        )
    ).one()


def finish(
    session: Session,
    *,
    run_id: int,
    status: str,
    at: datetime,
    message_ts: str | None = None,
    error: str | None = None,
) -> bool:
    """Record how a queued run ended; False when it had ended already."""
    values: dict[str, object] = {"status": status, "error": error}
    if status == RunStatus.POSTED:
        values |= {"posted_at": at, "message_ts": message_ts}
    changed = rows_changed(
        session,
        update(CeremonyRun)
        .where(col(CeremonyRun.id) == run_id, col(CeremonyRun.status) == RunStatus.QUEUED)
        .values(**values),
    )
    return changed == 1
