"""Queries over ceremonies and their runs (one row per occurrence that was claimed)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from storage.models import Ceremony, CeremonyRun

# Run statuses. `claimed` means a pass is posting it (or died doing so); `retrying` means the
# last post failed and the next pass may claim it again; the other three are final.
CLAIMED = "claimed"
POSTED = "posted"
RETRYING = "retrying"
FAILED = "failed"
SKIPPED = "skipped"


def for_team(session: Session, *, team_id: str) -> Sequence[Ceremony]:
    return session.exec(
        select(Ceremony).where(Ceremony.team_id == team_id).order_by(col(Ceremony.name))
    ).all()


def by_name(session: Session, *, team_id: str, name: str) -> Ceremony | None:
    return session.exec(select(Ceremony).where(Ceremony.team_id == team_id, Ceremony.name == name)).first()


def active(session: Session) -> Sequence[Ceremony]:
    """Every ceremony that is not paused, in every workspace."""
    return session.exec(
        select(Ceremony).where(col(Ceremony.paused).is_(False)).order_by(col(Ceremony.id))
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
            CeremonyRun.status == POSTED,
            col(CeremonyRun.due_at) < before,
        )
    ).one()


def reclaim(
    session: Session, *, run_id: int, now: datetime, lease_expired_before: datetime, max_attempts: int
) -> int | None:
    """Take over a run whose last post failed, or whose claimant died (lease expired).

    A conditional UPDATE: of two passes racing for the same run, exactly one sees a row change.
    Returns the attempt this is, or None when the run is not ours to retry.
    """
    return session.execute(
        update(CeremonyRun)
        .where(
            col(CeremonyRun.id) == run_id,
            col(CeremonyRun.attempts) < max_attempts,
            or_(
                col(CeremonyRun.status) == RETRYING,
                (col(CeremonyRun.status) == CLAIMED) & (col(CeremonyRun.claimed_at) <= lease_expired_before),
            ),
        )
        .values(status=CLAIMED, attempts=CeremonyRun.attempts + 1, claimed_at=now)
        .returning(CeremonyRun.attempts)
    ).scalar_one_or_none()


def finish(
    session: Session,
    *,
    run_id: int,
    status: str,
    at: datetime,
    message_ts: str | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, object] = {"status": status, "error": error}
    if status == POSTED:
        values |= {"posted_at": at, "message_ts": message_ts}
    session.execute(update(CeremonyRun).where(col(CeremonyRun.id) == run_id).values(**values))


def abandon_stale(session: Session, *, due_before: datetime, lease_expired_before: datetime) -> int:
    """Give up on runs still pending whose occurrence is past its grace window."""
    result = session.execute(
        update(CeremonyRun)
        .where(
            col(CeremonyRun.due_at) < due_before,
            or_(
                col(CeremonyRun.status) == RETRYING,
                (col(CeremonyRun.status) == CLAIMED) & (col(CeremonyRun.claimed_at) <= lease_expired_before),
            ),
        )
        .values(
            status=FAILED, error=func.coalesce(CeremonyRun.error, "") + " (gave up: past the grace window)"
        )
    )
    return result.rowcount
