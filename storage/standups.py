"""Queries over standups: participants, the prompts of a run, answers, blockers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from storage.models import (
    CeremonyRun,
    StandupAnswer,
    StandupBlocker,
    StandupMember,
    StandupParticipant,
    StandupPrompt,
)
from storage.statements import rows_changed


def participants(session: Session, *, ceremony_id: int) -> list[str]:
    return list(
        session.exec(
            select(StandupParticipant.user_id)
            .where(StandupParticipant.ceremony_id == ceremony_id)
            .order_by(col(StandupParticipant.id))
        ).all()
    )


def set_participants(session: Session, *, team_id: str, ceremony_id: int, user_ids: Sequence[str]) -> None:
    session.execute(delete(StandupParticipant).where(col(StandupParticipant.ceremony_id) == ceremony_id))
    for user_id in dict.fromkeys(user_ids):
        session.add(StandupParticipant(team_id=team_id, ceremony_id=ceremony_id, user_id=user_id))


def members(session: Session, *, ceremony_id: int) -> dict[str, str | None]:
    """The participants as last looked up in Slack, with their timezone (None: unknown)."""
    rows = session.exec(
        select(StandupMember).where(StandupMember.ceremony_id == ceremony_id).order_by(col(StandupMember.id))
    ).all()
    return {m.user_id: m.tz for m in rows}


def set_members(
    session: Session, *, team_id: str, ceremony_id: int, zones: dict[str, str | None], now: datetime
) -> None:
    """Replace the looked-up participants: update those still there, add the new, drop the gone."""
    rows = {
        m.user_id: m
        for m in session.exec(select(StandupMember).where(StandupMember.ceremony_id == ceremony_id)).all()
    }
    for user_id, row in rows.items():
        if user_id not in zones:
            session.delete(row)
    for user_id, tz in zones.items():
        row = rows.get(user_id) or StandupMember(team_id=team_id, ceremony_id=ceremony_id, user_id=user_id)
        row.tz, row.seen_at = tz, now
        session.add(row)


def prompts(session: Session, *, run_id: int) -> Sequence[StandupPrompt]:
    return session.exec(
        select(StandupPrompt).where(StandupPrompt.run_id == run_id).order_by(col(StandupPrompt.id))
    ).all()


def answers(session: Session, *, run_id: int) -> Sequence[StandupAnswer]:
    return session.exec(
        select(StandupAnswer).where(StandupAnswer.run_id == run_id).order_by(col(StandupAnswer.answered_at))
    ).all()


def answer_of(session: Session, *, run_id: int, user_id: str) -> StandupAnswer | None:
    return session.exec(
        select(StandupAnswer).where(StandupAnswer.run_id == run_id, StandupAnswer.user_id == user_id)
    ).first()


def due_runs(session: Session, *, due_column: str, done_column: str, now: datetime) -> Sequence[int]:
    """Ids of runs whose `due_column` time has come and whose `done_column` is still unset."""
    due, done = getattr(CeremonyRun, due_column), getattr(CeremonyRun, done_column)
    return session.exec(
        select(CeremonyRun.id).where(col(due).is_not(None), col(due) <= now, col(done).is_(None))
    ).all()  # type: ignore[return-value]


def claim_run_step(session: Session, *, run_id: int, done_column: str, now: datetime) -> bool:
    """Mark the step done at `now` unless another pass did first: the claim."""
    done = getattr(CeremonyRun, done_column)
    changed = rows_changed(
        session,
        update(CeremonyRun)
        .where(col(CeremonyRun.id) == run_id, col(done).is_(None))
        .values({done_column: now}),
    )
    return changed == 1


def due_prompts(session: Session, *, due_column: str, done_column: str, now: datetime) -> Sequence[int]:
    """Ids of prompts of open runs whose `due_column` time has come and `done_column` is unset."""
    due, done = getattr(StandupPrompt, due_column), getattr(StandupPrompt, done_column)
    return session.exec(
        select(StandupPrompt.id)
        .join(CeremonyRun, col(CeremonyRun.id) == StandupPrompt.run_id)
        .where(
            col(due).is_not(None), col(due) <= now, col(done).is_(None), col(CeremonyRun.closed_at).is_(None)
        )
        .order_by(col(StandupPrompt.id))
    ).all()  # type: ignore[return-value]


def claim_prompt_step(session: Session, *, prompt_id: int, done_column: str, now: datetime) -> bool:
    """Mark a prompt's step done at `now` unless another pass did first: the claim."""
    done = getattr(StandupPrompt, done_column)
    changed = rows_changed(
        session,
        update(StandupPrompt)
        .where(col(StandupPrompt.id) == prompt_id, col(done).is_(None))
        .values({done_column: now}),
    )
    return changed == 1


def local_run_of(session: Session, *, ceremony_id: int, day: date) -> CeremonyRun | None:
    return session.exec(
        select(CeremonyRun).where(CeremonyRun.ceremony_id == ceremony_id, CeremonyRun.local_day == day)
    ).first()


def blockers_between(
    session: Session, *, team_id: str, since: datetime, until: datetime
) -> Sequence[tuple[StandupBlocker, StandupAnswer]]:
    """Blockers naming an experiment, of standups due in (since, until], with the answer that
    named each, oldest first."""
    return session.exec(
        select(StandupBlocker, StandupAnswer)
        .join(CeremonyRun, col(CeremonyRun.id) == StandupBlocker.run_id)
        .join(
            StandupAnswer,
            (col(StandupAnswer.run_id) == StandupBlocker.run_id)
            & (col(StandupAnswer.user_id) == StandupBlocker.user_id),
        )
        .where(
            StandupBlocker.team_id == team_id,
            col(CeremonyRun.due_at) > since,
            col(CeremonyRun.due_at) <= until,
        )
        .order_by(col(CeremonyRun.due_at), col(StandupBlocker.id))
    ).all()
