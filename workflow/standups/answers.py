"""Answers: stored per run and person, replied in the reminder's thread, blockers sent on.

Answering again replaces the answer, and its thread reply is edited, never posted twice. An answer
after the close is accepted, marked late, and updates the summary. A blocker naming `EXP-<n>` is
posted in that experiment's thread once per run and person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import audit
from storage import ceremonies as runs
from storage import experiments as experiment_queries
from storage import standups as queries
from storage.models import Ceremony, CeremonyRun, Experiment, StandupAnswer, StandupBlocker
from workflow import ceremonies, delivery
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotFound
from workflow.refs import MENTIONED_EXPERIMENT

TEXT_MAX_CHARS = 3000

PROGRESS = "progress"
BLOCKERS = "blockers"
HELP = "help"


class AnswerInvalid(InvalidInput):
    """What is wrong with each field of an answer, by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


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
    progress_text = values[PROGRESS]
    assert progress_text is not None
    return progress_text, values[BLOCKERS], values[HELP]


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
        for match in MENTIONED_EXPERIMENT.finditer(text or ""):
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
