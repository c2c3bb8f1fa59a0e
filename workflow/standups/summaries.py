"""What a standup adds up to: the summary at its close, and the blockers the experiment review
hears about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from storage import standups as queries
from storage.models import Ceremony, CeremonyRun, Experiment, StandupAnswer
from workflow import calendar
from workflow.standups.answers import referenced


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
