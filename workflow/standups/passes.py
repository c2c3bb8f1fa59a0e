"""The scheduler's standup steps: follow-ups, a `local` run's asks and follow-ups, and closes.

Each step is a pair: what is due, and the step on one due item, which first claims it (a
conditional update, so once across processes and passes) and then queues what it owes in the
same transaction, so each DM, follow-up and summary goes out once however many passes race. The
scheduler pass gives each item a unit of work of its own (`workflow.tick`). A step returns
whether it did anything; a claimed item it no longer applies to stays claimed, so it is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from storage import standups as queries
from storage.models import Ceremony, CeremonyRun, StandupPrompt
from workflow import calendar, delivery


def due_followups(session: Session, *, now: datetime) -> Sequence[int]:
    return queries.due_runs(session, due_column="followup_at", done_column="followed_up_at", now=now)


def follow_up_run(session: Session, run_id: int, *, now: datetime, timezone: str) -> bool:
    """Claim a run whose follow-up is due and queue one DM per non-responder not away."""
    if not queries.claim_run_step(session, run_id=run_id, done_column="followed_up_at", now=now):
        return False
    run = session.get(CeremonyRun, run_id)
    if run is None or run.closed_at is not None:
        return False
    answered = {a.user_id for a in queries.answers(session, run_id=run_id)}
    waiting = [p for p in queries.prompts(session, run_id=run_id) if not p.away and p.user_id not in answered]
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


def due_local_asks(session: Session, *, now: datetime) -> Sequence[int]:
    return queries.due_prompts(session, due_column="ask_at", done_column="asked_at", now=now)


def ask_local_prompt(session: Session, prompt_id: int, *, now: datetime, timezone: str) -> bool:
    """Claim a prompt whose person's time has come and queue their DM unless they are away."""
    if not queries.claim_prompt_step(session, prompt_id=prompt_id, done_column="asked_at", now=now):
        return False
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


def due_local_followups(session: Session, *, now: datetime) -> Sequence[int]:
    return queries.due_prompts(session, due_column="followup_at", done_column="followed_up_at", now=now)


def follow_up_local_prompt(session: Session, prompt_id: int, *, now: datetime, timezone: str) -> bool:
    """Claim a prompt whose own follow-up is due; DM the person if they have not answered and are
    not away."""
    if not queries.claim_prompt_step(session, prompt_id=prompt_id, done_column="followed_up_at", now=now):
        return False
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


def due_closes(session: Session, *, now: datetime) -> Sequence[int]:
    return queries.due_runs(session, due_column="closes_at", done_column="closed_at", now=now)


def close_run(session: Session, run_id: int, *, now: datetime) -> bool:
    """Claim a run whose close is due and queue its summary."""
    if not queries.claim_run_step(session, run_id=run_id, done_column="closed_at", now=now):
        return False
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None:
        return False
    delivery.standup_summary(session, team_id=run.team_id, run_id=run_id, channel_id=ceremony.channel_id)
    return True
