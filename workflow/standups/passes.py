"""The scheduler's standup steps: follow-ups, closes, and a `local` run's asks and follow-ups.

Everything is queued in the transaction that claims it, so each DM, follow-up and summary goes
out once however many passes race.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlmodel import Session

from storage import standups as queries
from storage.db import Database
from storage.models import Ceremony, CeremonyRun, StandupPrompt
from workflow import calendar, delivery


def _claim_each(
    db: Database,
    due: Iterable[int],
    claim: Callable[[Session, int], bool],
    act: Callable[[Session, int], bool],
) -> list[int]:
    """Each due id in a unit of work of its own: claimed (so once, across processes and passes),
    then acted on (`act` says whether it did anything). Returns the ids acted on."""
    done = []
    for item in due:
        with db.session() as session:
            if not claim(session, item) or not act(session, item):
                continue  # the claim still commits: a step that no longer applies is done
        done.append(item)
    return done


def queue_local_asks(db: Database, *, now: datetime, timezone: str) -> list[int]:
    """Claim each prompt whose person's time has come and queue their DM unless they are away."""
    with db.read() as session:
        due = queries.due_prompts(session, due_column="ask_at", done_column="asked_at", now=now)

    def ask(session: Session, prompt_id: int) -> bool:
        prompt = session.get(StandupPrompt, prompt_id)
        run = session.get(CeremonyRun, prompt.run_id) if prompt else None
        ceremony = session.get(Ceremony, run.ceremony_id) if run else None
        if prompt is None or run is None or ceremony is None or run.closed_at is not None:
            return False
        if calendar.away_among(
            session, team_id=run.team_id, user_ids=[prompt.user_id], today=calendar.today(timezone, now)
        ):
            prompt.away = True
            session.add(prompt)
            return False
        delivery.standup_dm(
            session,
            team_id=run.team_id,
            prompt_id=prompt_id,
            user_id=prompt.user_id,
            followup=False,
            actor_id=ceremony.created_by,
        )
        return True

    return _claim_each(
        db,
        due,
        lambda session, prompt_id: queries.claim_prompt_step(
            session, prompt_id=prompt_id, done_column="asked_at", now=now
        ),
        ask,
    )


def queue_local_followups(db: Database, *, now: datetime, timezone: str) -> list[int]:
    """Claim each prompt whose own follow-up is due; DM the person if they have not answered and
    are not away."""
    with db.read() as session:
        due = queries.due_prompts(session, due_column="followup_at", done_column="followed_up_at", now=now)

    def follow_up(session: Session, prompt_id: int) -> bool:
        prompt = session.get(StandupPrompt, prompt_id)
        if prompt is None or prompt.away or prompt.asked_at is None:
            return False
        if queries.answer_of(session, run_id=prompt.run_id, user_id=prompt.user_id) is not None:
            return False
        if calendar.away_among(
            session, team_id=prompt.team_id, user_ids=[prompt.user_id], today=calendar.today(timezone, now)
        ):
            return False
        delivery.standup_dm(
            session, team_id=prompt.team_id, prompt_id=prompt_id, user_id=prompt.user_id, followup=True
        )
        return True

    return _claim_each(
        db,
        due,
        lambda session, prompt_id: queries.claim_prompt_step(
            session, prompt_id=prompt_id, done_column="followed_up_at", now=now
        ),
        follow_up,
    )


def queue_followups(db: Database, *, now: datetime, timezone: str) -> list[int]:
    """Claim each run whose follow-up is due and queue one DM per non-responder not away."""
    with db.read() as session:
        due = queries.due_runs(session, due_column="followup_at", done_column="followed_up_at", now=now)

    def follow_up(session: Session, run_id: int) -> bool:
        run = session.get(CeremonyRun, run_id)
        if run is None or run.closed_at is not None:
            return False
        answered = {a.user_id for a in queries.answers(session, run_id=run_id)}
        waiting = [
            p for p in queries.prompts(session, run_id=run_id) if not p.away and p.user_id not in answered
        ]
        away = calendar.away_among(
            session,
            team_id=run.team_id,
            user_ids=[p.user_id for p in waiting],
            today=calendar.today(timezone, now),
        )
        for prompt in waiting:
            if prompt.user_id not in away:
                assert prompt.id is not None
                delivery.standup_dm(
                    session, team_id=run.team_id, prompt_id=prompt.id, user_id=prompt.user_id, followup=True
                )
        return True

    return _claim_each(
        db,
        due,
        lambda session, run_id: queries.claim_run_step(
            session, run_id=run_id, done_column="followed_up_at", now=now
        ),
        follow_up,
    )


def queue_closes(db: Database, *, now: datetime) -> list[int]:
    """Claim each run whose close is due and queue its summary."""
    with db.read() as session:
        due = queries.due_runs(session, due_column="closes_at", done_column="closed_at", now=now)

    def close(session: Session, run_id: int) -> bool:
        run = session.get(CeremonyRun, run_id)
        ceremony = session.get(Ceremony, run.ceremony_id) if run else None
        if run is None or ceremony is None:
            return False
        delivery.standup_summary(session, team_id=run.team_id, run_id=run_id, channel_id=ceremony.channel_id)
        return True

    return _claim_each(
        db,
        due,
        lambda session, run_id: queries.claim_run_step(
            session, run_id=run_id, done_column="closed_at", now=now
        ),
        close,
    )
