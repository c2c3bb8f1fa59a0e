"""Standups that collect answers: participants, DM prompts, answers, follow-ups and the summary.

At the standup's time the reminder is posted as before, with a **Share my update** button. Once it
is posted (`on_reminder_posted`, in the transaction that records its ts) the run gets its close
(`Ceremony.close_minutes` later) and its follow-up (halfway there), and a delivery that asks each
participant: its sender looks the channel's members up in Slack (at send time, never in a pass),
then `record_prompts` claims one prompt per person (unique per run and person) and queues one DM
for each who is not away. Everything is queued in the transaction that claims it, so each DM,
follow-up and summary goes out once however many passes race.

With `local on` each participant is asked at the standup's time in their own timezone. A pass
(which never calls Slack) reads the timezones stored when the bot last looked people up
(`record_members`: when `local on` is set and whenever prompts are sent; unknown: the ceremony's
own) and claims the day's run (unique per ceremony and `local_day`) at the first participant's
time; the reminder goes out then. Its prompts carry each person's `ask_at`; a pass claims each
due one (a conditional update of `asked_at`) with its DM. The close is counted from the last
prompt, and each person's follow-up falls halfway from their prompt to the close.

An answer is stored per run and person; answering again replaces it, and its thread reply is
edited, never posted twice. An answer after the close is accepted, marked late, and updates the
summary. A blocker naming `EXP-<n>` is posted in that experiment's thread once per run and person.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import audit
from storage import ceremonies as runs
from storage import experiments as experiment_queries
from storage import standups as queries
from storage.db import Database
from storage.models import Ceremony, CeremonyRun, Experiment, StandupAnswer, StandupBlocker, StandupPrompt
from workflow import calendar, ceremonies, delivery, schedules
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

TEXT_MAX_CHARS = 3000
_EXP = re.compile(r"\bEXP-(\d{1,9})\b", re.IGNORECASE)

PROGRESS = "progress"
BLOCKERS = "blockers"
HELP = "help"


class AnswerInvalid(InvalidInput):
    """What is wrong with each field of an answer, by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


# -- participants ----------------------------------------------------------------------------------


def standup(session: Session, *, team_id: str, name: str) -> Ceremony:
    ceremony = ceremonies.get(session, team_id=team_id, name=name)
    if ceremony.kind != ceremonies.STANDUP:
        raise InvalidInput(f"`{ceremony.name}` is not a standup; participants belong to standups.")
    return ceremony


def participants(session: Session, *, ceremony: Ceremony) -> list[str]:
    """The explicit participants; empty: the channel's human members."""
    assert ceremony.id is not None
    return queries.participants(session, ceremony_id=ceremony.id)


def set_participants(
    session: Session, *, team_id: str, actor_id: str, name: str, user_ids: Sequence[str]
) -> Ceremony:
    """Set the explicit list; an empty one goes back to the channel's members."""
    ceremony = standup(session, team_id=team_id, name=name)
    assert ceremony.id is not None
    queries.set_participants(session, team_id=team_id, ceremony_id=ceremony.id, user_ids=user_ids)
    ceremonies.record(
        session,
        ceremony,
        actor_id=actor_id,
        action=v.AuditAction.CEREMONY_PARTICIPANTS,
        detail=" ".join(user_ids) if user_ids else "the channel's members",
    )
    return ceremony


# -- each member's own morning (`local on`) --------------------------------------------------------


def is_local(ceremony: Ceremony) -> bool:
    return ceremony.kind == ceremonies.STANDUP and ceremony.local


def record_members(
    session: Session, *, ceremony: Ceremony, zones: dict[str, str | None], now: datetime
) -> None:
    """Remember the participants as just looked up in Slack, with their timezones."""
    assert ceremony.id is not None
    queries.set_members(session, team_id=ceremony.team_id, ceremony_id=ceremony.id, zones=zones, now=now)


def _zone(ceremony: Ceremony, tz: str | None) -> ZoneInfo:
    if tz:
        try:
            return schedules.zone(tz)
        except Exception:
            log.warning("unknown timezone %r: using the ceremony's own", tz)
    return schedules.zone(ceremony.timezone)


def person_time(ceremony: Ceremony, day: date, tz: str | None) -> datetime:
    """When the standup of `day` falls in `tz` (the ceremony's own when unknown), in UTC. Wall-clock
    time there, so each person's daylight-saving changes are their own."""
    zone = _zone(ceremony, tz)
    schedule = schedules.load(ceremony.schedule)
    fire = next(schedule.occurrences(zone, after=datetime.combine(day, time(0), zone)), None)
    if fire is None or fire.date() != day:
        fire = datetime.combine(day, schedule.at, zone)
    return fire.astimezone(UTC)


@dataclass(frozen=True)
class LocalDue:
    day: date  # in the ceremony's timezone
    first: datetime  # the first participant's time, UTC


def local_zones(session: Session, *, ceremony: Ceremony) -> set[str | None]:
    """The timezones of the participants as stored (None: unknown, the ceremony's own)."""
    assert ceremony.id is not None
    known = queries.members(session, ceremony_id=ceremony.id)
    people = participants(session, ceremony=ceremony) or list(known)
    return {known.get(p) for p in people} or {None}


def local_due(session: Session, *, ceremony: Ceremony, now: datetime) -> LocalDue | None:
    """The latest day of a `local` standup whose first participant's time has come (not before the
    ceremony's last change), from the stored timezones."""
    zones = local_zones(session, ceremony=ceremony)
    tz = schedules.zone(ceremony.timezone)
    schedule = schedules.load(ceremony.schedule)
    latest = None
    for fire in schedule.occurrences(tz, after=now - timedelta(days=2)):
        if fire > now + timedelta(days=2):
            break
        first = min(person_time(ceremony, fire.date(), z) for z in zones)
        if ceremony.updated_at <= first <= now:
            latest = LocalDue(fire.date(), first)
    return latest


def local_run_exists(session: Session, *, ceremony: Ceremony, day: date) -> bool:
    assert ceremony.id is not None
    return queries.local_run_of(session, ceremony_id=ceremony.id, day=day) is not None


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


# -- answers ---------------------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def validate_answer(
    progress: str | None, blockers: str | None, help: str | None
) -> tuple[str, str | None, str | None]:
    errors = {}
    values = {PROGRESS: _clean(progress), BLOCKERS: _clean(blockers), HELP: _clean(help)}
    if values[PROGRESS] is None:
        errors[PROGRESS] = "Say what moved since the last standup."
    for name, value in values.items():
        if value is not None and len(value) > TEXT_MAX_CHARS:
            errors[name] = f"This is {len(value)} characters; keep it to {TEXT_MAX_CHARS}."
    if errors:
        raise AnswerInvalid(errors)
    assert values[PROGRESS] is not None
    return values[PROGRESS], values[BLOCKERS], values[HELP]


def run_to_answer(session: Session, *, team_id: str, run_id: int) -> tuple[CeremonyRun, Ceremony]:
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None or run.team_id != team_id:
        raise NotFound("That standup is gone (its ceremony was removed).")
    if ceremony.kind != ceremonies.STANDUP or run.status != runs.RunStatus.POSTED:
        raise InvalidInput("This is not a standup that is collecting answers.")
    return run, ceremony


def previous_answer(session: Session, *, run_id: int, user_id: str) -> StandupAnswer | None:
    return queries.answer_of(session, run_id=run_id, user_id=user_id)


def referenced(session: Session, *, team_id: str, texts: Sequence[str | None]) -> dict[int, Experiment]:
    """The experiments `EXP-<n>` in these texts name, by number (unknown numbers left out)."""
    found: dict[int, Experiment] = {}
    for text in texts:
        for match in _EXP.finditer(text or ""):
            number = int(match.group(1))
            if number not in found:
                experiment = experiment_queries.get_by_number(session, team_id=team_id, number=number)
                if experiment is not None:
                    found[number] = experiment
    return found


def answer(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    run_id: int,
    progress: str | None,
    blockers: str | None,
    help: str | None,
    now: datetime,
) -> StandupAnswer:
    """Store (or replace) the person's answer and queue its thread reply, the blockers for the
    experiments they name, and, after the close, the summary's update."""
    progress_text, blockers_text, help_text = validate_answer(progress, blockers, help)
    run, ceremony = run_to_answer(session, team_id=team_id, run_id=run_id)
    assert run.id is not None
    stored = queries.answer_of(session, run_id=run.id, user_id=user_id) or StandupAnswer(
        team_id=team_id, run_id=run.id, user_id=user_id, progress=progress_text
    )
    stored.progress, stored.blockers, stored.help = progress_text, blockers_text, help_text
    stored.late = stored.late or run.closed_at is not None
    stored.answered_at = now
    session.add(stored)
    session.flush()
    assert stored.id is not None
    audit.record(
        session,
        team_id=team_id,
        actor_id=user_id,
        action=v.AuditAction.STANDUP_ANSWERED,
        detail=f"{ceremony.name} run {run.id}",
    )
    delivery.standup_answer(
        session, team_id=team_id, run_id=run.id, answer_id=stored.id, channel_id=ceremony.channel_id
    )
    for experiment in referenced(session, team_id=team_id, texts=[blockers_text]).values():
        assert experiment.id is not None
        claimed = StandupBlocker(team_id=team_id, run_id=run.id, user_id=user_id, experiment_id=experiment.id)
        try:
            with session.begin_nested():
                session.add(claimed)
        except IntegrityError:
            continue  # posted in its thread already for this standup
        delivery.notice(session, experiment, delivery.Blocked(user_id, blockers_text or ""))
    if run.closed_at is not None:
        delivery.standup_summary(session, team_id=team_id, run_id=run.id, channel_id=ceremony.channel_id)
    return stored


@dataclass(frozen=True)
class Reply:
    answer: StandupAnswer
    run: CeremonyRun
    ceremony: Ceremony
    experiments: dict[int, Experiment]


def reply_to_send(session: Session, *, answer_id: int) -> Reply | None:
    stored = session.get(StandupAnswer, answer_id)
    run = session.get(CeremonyRun, stored.run_id) if stored else None
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if stored is None or run is None or ceremony is None or run.message_ts is None:
        return None
    experiments = referenced(
        session, team_id=stored.team_id, texts=[stored.progress, stored.blockers, stored.help]
    )
    return Reply(stored, run, ceremony, experiments)


def reply_posted(session: Session, *, answer_id: int, ts: str) -> None:
    stored = session.get(StandupAnswer, answer_id)
    if stored is not None and stored.reply_ts is None:
        stored.reply_ts = ts
        session.add(stored)


# -- follow-up and close (scheduler passes) --------------------------------------------------------


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


@dataclass(frozen=True)
class Summary:
    run: CeremonyRun
    ceremony: Ceremony
    answers: Sequence[StandupAnswer]
    missing: Sequence[str]
    away: Sequence[str]
    experiments: dict[int, Experiment] = field(default_factory=dict)


def summary(session: Session, *, run_id: int, now: datetime, timezone: str) -> Summary | None:
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None or run.message_ts is None:
        return None
    answers = queries.answers(session, run_id=run_id)
    answered = {a.user_id for a in answers}
    prompts = queries.prompts(session, run_id=run_id)
    away_now = calendar.away_among(
        session,
        team_id=run.team_id,
        user_ids=[p.user_id for p in prompts],
        today=calendar.today(timezone, now),
    )
    away = [p.user_id for p in prompts if (p.away or p.user_id in away_now) and p.user_id not in answered]
    missing = [p.user_id for p in prompts if p.user_id not in answered and p.user_id not in away]
    experiments = referenced(
        session, team_id=run.team_id, texts=[t for a in answers for t in (a.blockers, a.help)]
    )
    return Summary(run, ceremony, answers, missing, away, experiments)


def humans(members: Collection[dict]) -> list[str]:
    """Of users.info answers, the people: no bots, no deactivated accounts."""
    return [
        m["id"]
        for m in members
        if not m.get("is_bot") and not m.get("deleted") and m.get("id") != "USLACKBOT"
    ]


@dataclass(frozen=True)
class Blocked:
    """Someone blocked on an experiment, as their latest standup answer in a window says."""

    experiment: Experiment
    user_id: str
    blockers: str


def blocked_between(session: Session, *, team_id: str, since: datetime, until: datetime) -> list[Blocked]:
    """The standup blockers naming an experiment in (since, until]: the latest per experiment and
    person, and only while their answer still names it (an answer edited since may not)."""
    latest: dict[tuple[int, str], Blocked] = {}
    for blocker, stored in queries.blockers_between(session, team_id=team_id, since=since, until=until):
        experiment = session.get(Experiment, blocker.experiment_id)
        if experiment is None or not stored.blockers:
            continue
        if experiment.number not in referenced(session, team_id=team_id, texts=[stored.blockers]):
            continue
        key = (blocker.experiment_id, blocker.user_id)
        latest.pop(key, None)  # keep the newest, in order
        latest[key] = Blocked(experiment, blocker.user_id, stored.blockers)
    return list(latest.values())
