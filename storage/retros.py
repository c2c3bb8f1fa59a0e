"""Queries over retro notes: waiting ones, a board's, open action items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.ceremonies import RunStatus
from storage.models import CeremonyRun, RetroNote
from storage.statements import rows_changed

ACTION_ITEM = "action_item"


def claim_waiting(session: Session, *, ceremony_id: int, run_id: int, until: datetime) -> int:
    """Put the notes waiting for this retro (written up to `until`) on its board; how many."""
    changed = rows_changed(
        session,
        update(RetroNote)
        .where(
            col(RetroNote.ceremony_id) == ceremony_id,
            col(RetroNote.run_id).is_(None),
            col(RetroNote.created_at) <= until,
        )
        .values(run_id=run_id),
    )
    return changed


def of_run(session: Session, *, run_id: int) -> Sequence[RetroNote]:
    return session.exec(select(RetroNote).where(RetroNote.run_id == run_id).order_by(col(RetroNote.id))).all()


def latest_posted_run(session: Session, *, ceremony_id: int) -> CeremonyRun | None:
    return session.exec(
        select(CeremonyRun)
        .where(CeremonyRun.ceremony_id == ceremony_id, CeremonyRun.status == RunStatus.POSTED)
        .order_by(col(CeremonyRun.due_at).desc())
        .limit(1)
    ).first()


def previous_posted_run(session: Session, *, ceremony_id: int, before: datetime) -> CeremonyRun | None:
    return session.exec(
        select(CeremonyRun)
        .where(
            CeremonyRun.ceremony_id == ceremony_id,
            CeremonyRun.status == RunStatus.POSTED,
            col(CeremonyRun.due_at) < before,
        )
        .order_by(col(CeremonyRun.due_at).desc())
        .limit(1)
    ).first()


def open_actions(
    session: Session, *, team_id: str, owner_id: str | None = None, ceremony_id: int | None = None
) -> Sequence[RetroNote]:
    """Action items not done yet, oldest first; of one owner or one retro when given."""
    query = select(RetroNote).where(
        RetroNote.team_id == team_id, RetroNote.kind == ACTION_ITEM, col(RetroNote.done_at).is_(None)
    )
    if owner_id is not None:
        query = query.where(RetroNote.owner_id == owner_id)
    if ceremony_id is not None:
        query = query.where(RetroNote.ceremony_id == ceremony_id)
    return session.exec(query.order_by(col(RetroNote.id))).all()


def mark_done(session: Session, *, note_id: int, user_id: str, now: datetime) -> bool:
    """Done, unless it was already: the conditional update makes a double click change nothing."""
    changed = rows_changed(
        session,
        update(RetroNote)
        .where(col(RetroNote.id) == note_id, col(RetroNote.done_at).is_(None))
        .values(done_at=now, done_by=user_id),
    )
    return changed == 1
