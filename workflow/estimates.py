"""Timeline estimates learned from the team's own history.

An experiment's estimate is the median time from proposal to production of the workspace's past
experiments in its workstream, or the project's own when the project has at least
`MIN_SAMPLES`; with fewer samples, the fixed per-workstream default. Withdrawn and rejected
experiments are no durations; the share that reached production is reported beside the median.
The estimate is fixed at proposal (`Experiment.estimate_days`, `estimate_basis`).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from storage import experiments as queries
from storage.models import Experiment
from workflow import vocabulary as v

MIN_SAMPLES = 3
# Finished experiments: those that reached production count as durations; the rest only in the share.
_FINISHED = (v.Status.PRODUCTION, v.Status.REJECTED, v.Status.WITHDRAWN)


@dataclass(frozen=True)
class Estimate:
    days: int
    basis: str

    @property
    def text(self) -> str:
        return f"{_span(self.days)} ({self.basis})"


def _span(days: int) -> str:
    if days % 7 == 0 and days >= 14:
        return f"~{days // 7} weeks"
    return f"~{days} day" + ("" if days == 1 else "s")


@dataclass(frozen=True)
class History:
    durations: Sequence[timedelta]
    finished: int

    @property
    def reached(self) -> int:
        return len(self.durations)


def history(
    session: Session,
    *,
    team_id: str,
    workstream: str,
    project_id: int | None = None,
    before: datetime | None = None,
) -> History:
    """The finished experiments of a workstream (of one project, if given) and how long the ones
    that reached production took from proposal."""
    rows = queries.finished_in_workstream(
        session,
        team_id=team_id,
        workstream=workstream,
        statuses=_FINISHED,
        reached_action=v.Step.status(v.Status.PRODUCTION),
        project_id=project_id,
    )
    durations = []
    finished = 0
    for status, created_at, status_changed_at, produced_at in rows:
        created_at, status_changed_at = _utc(created_at), _utc(status_changed_at)
        if before is not None and status_changed_at > before:
            continue
        finished += 1
        if status == v.Status.PRODUCTION:
            end = _utc(produced_at) if produced_at is not None else status_changed_at
            durations.append(end - created_at)
    return History(durations, finished)


def _utc(moment: datetime) -> datetime:
    # Column values come back through their UTC type; a subquery's may come back naive on SQLite.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def estimate(
    session: Session,
    *,
    team_id: str,
    workstream: str,
    project_id: int | None = None,
    now: datetime | None = None,
) -> Estimate:
    """Today's estimate for a new experiment in `workstream` (of a project, if given)."""
    scopes: list[tuple[int | None, str]] = []
    if project_id is not None:
        scopes.append((project_id, "of this project"))
    scopes.append((None, ""))
    past = History((), 0)
    for scope, where in scopes:
        past = history(session, team_id=team_id, workstream=workstream, project_id=scope, before=now)
        if past.reached >= MIN_SAMPLES:
            median = statistics.median(d.total_seconds() for d in past.durations)
            days = max(1, round(median / 86400))
            label = f"median of {past.reached} past {workstream} experiments{' ' + where if where else ''}"
            return Estimate(days, f"{label}; {past.reached} of {past.finished} reached production")
    # `past` is the workspace's history now: the last scope tried.
    share = f"; {past.reached} of {past.finished} reached production" if past.finished else ""
    return Estimate(
        v.WORKSTREAMS[workstream] * 7, f"default: fewer than {MIN_SAMPLES} past experiments{share}"
    )


def days_of(experiment: Experiment) -> int:
    """The estimate fixed at proposal, or the default an older experiment was proposed with."""
    return experiment.estimate_days if experiment.estimate_days is not None else experiment.timeline_weeks * 7


def target(experiment: Experiment) -> date:
    return (experiment.created_at + timedelta(days=days_of(experiment))).date()


def describe(experiment: Experiment) -> str:
    """`~9 days (median of 7 past experimentation experiments) · target 2026-12-07`."""
    days = days_of(experiment)
    basis = experiment.estimate_basis or "default for the workstream"
    return f"{_span(days)} ({basis}), target {target(experiment).isoformat()}"
