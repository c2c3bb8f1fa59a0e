"""Asking each participant: the prompts queued once the reminder is posted, and their DMs.

Once the reminder is posted (`on_reminder_posted`, in the transaction that records its ts) the run
gets its close (`Ceremony.close_minutes` later) and its follow-up (halfway there), and a delivery
that asks each participant: its sender looks the channel's members up in Slack (at send time,
never in a pass), then `record_prompts` claims one prompt per person (unique per run and person)
and queues one DM for each who is not away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import standups as queries
from storage.models import Ceremony, CeremonyRun, StandupPrompt
from workflow import calendar, ceremonies, delivery
from workflow.standups.local import person_time, record_members
from workflow.standups.people import participants


def _schedule_local_close(session: Session, *, run: CeremonyRun, ceremony: Ceremony, now: datetime) -> None:
    """The close, counted from the last participant's prompt; each follow-up halfway there."""
    assert run.id is not None
    prompts = [p for p in queries.prompts(session, run_id=run.id) if p.ask_at is not None]
    start = run.posted_at or now
    last = max([start, *(p.ask_at for p in prompts if p.ask_at is not None)])
    run.closes_at = last + timedelta(minutes=ceremony.close_minutes)
    session.add(run)
    for prompt in prompts:
        if prompt.followed_up_at is None and prompt.ask_at is not None:
            asked = max(prompt.ask_at, start)
            prompt.followup_at = asked + (run.closes_at - asked) / 2
            session.add(prompt)


def on_reminder_posted(session: Session, *, run_id: int, now: datetime) -> None:
    """A standup's reminder is in the channel: set its follow-up and close, and queue the prompts."""
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None or ceremony.kind != ceremonies.STANDUP:
        return
    close = timedelta(minutes=ceremony.close_minutes)
    run.closes_at = now + close
    # A `local` run's follow-ups are each person's own, set with the prompts (and the close moved
    # to the last prompt's); this close holds until then.
    run.followup_at = None if run.local_day is not None else now + close / 2
    session.add(run)
    delivery.standup_prompts(session, team_id=run.team_id, run_id=run_id, actor_id=ceremony.created_by)


@dataclass(frozen=True)
class PromptTarget:
    run: CeremonyRun
    ceremony: Ceremony
    explicit: list[str]


def prompt_target(session: Session, *, run_id: int) -> PromptTarget | None:
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None or run.closed_at is not None:
        return None
    return PromptTarget(run, ceremony, participants(session, ceremony=ceremony))


def record_prompts(
    session: Session,
    *,
    run_id: int,
    user_ids: Sequence[str],
    now: datetime,
    timezone: str,
    zones: dict[str, str | None] | None = None,
) -> list[str]:
    """Claim a prompt per participant not yet prompted and queue their DM unless they are away.
    For a `local` run, someone whose time (in `zones`) has not come yet gets the prompt with its
    `ask_at`, and a later pass asks them. Returns whom a DM was queued for."""
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None:
        return []
    if zones is not None:
        record_members(session, ceremony=ceremony, zones=zones, now=now)
    local_day = run.local_day
    known = {p.user_id for p in queries.prompts(session, run_id=run_id)}
    fresh = [u for u in dict.fromkeys(user_ids) if u not in known]
    away = calendar.away_among(
        session, team_id=run.team_id, user_ids=fresh, today=calendar.today(timezone, now)
    )
    asked = []
    for user_id in fresh:
        ask_at = None
        if local_day is not None:
            ask_at = person_time(ceremony, local_day, (zones or {}).get(user_id))
        now_or_later = ask_at is None or ask_at <= now
        prompt = StandupPrompt(
            team_id=run.team_id,
            run_id=run_id,
            user_id=user_id,
            away=now_or_later and user_id in away,
            ask_at=ask_at,
            asked_at=now if ask_at is not None and now_or_later else None,
        )
        session.add(prompt)
        session.flush()  # the unique (run, user) insert is the claim
        if now_or_later and not prompt.away:
            assert prompt.id is not None
            delivery.standup_dm(
                session,
                team_id=run.team_id,
                prompt_id=prompt.id,
                user_id=user_id,
                followup=False,
                actor_id=ceremony.created_by,
            )
            asked.append(user_id)
    if local_day is not None:
        _schedule_local_close(session, run=run, ceremony=ceremony, now=now)
    return asked


@dataclass(frozen=True)
class Dm:
    prompt: StandupPrompt
    run: CeremonyRun
    ceremony: Ceremony
    followup: bool


def dm_to_send(session: Session, *, prompt_id: int, followup: bool) -> Dm | None:
    """The DM of a prompt, or None when it no longer applies (answered, closed, gone)."""
    prompt = session.get(StandupPrompt, prompt_id)
    run = session.get(CeremonyRun, prompt.run_id) if prompt else None
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if prompt is None or run is None or ceremony is None or run.closed_at is not None:
        return None
    if followup and queries.answer_of(session, run_id=run.id or 0, user_id=prompt.user_id) is not None:
        return None
    return Dm(prompt, run, ceremony, followup)


def dm_posted(session: Session, *, prompt_id: int, channel: str, ts: str) -> None:
    prompt = session.get(StandupPrompt, prompt_id)
    if prompt is not None and prompt.dm_ts is None:
        prompt.dm_channel, prompt.dm_ts = channel, ts
        session.add(prompt)
