"""Queries over standups: participants, the prompts of a run, answers, blockers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from storage.models import CeremonyRun, StandupAnswer, StandupBlocker, StandupParticipant, StandupPrompt


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
    result = session.execute(
        update(CeremonyRun)
        .where(col(CeremonyRun.id) == run_id, col(done).is_(None))
        .values({done_column: now})
    )
    return result.rowcount == 1


def blockers_between(
    session: Session, *, team_id: str, since: datetime, until: datetime
) -> Sequence[tuple[StandupBlocker, StandupAnswer]]:
    """Blockers naming an experiment, of standups due in (since, until], with the answer that
    named each, oldest first."""
    return session.exec(  # type: ignore[return-value]
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
