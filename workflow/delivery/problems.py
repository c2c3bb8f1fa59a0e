"""Seeing the queue: its backlog, and what could never be delivered, described for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import deliveries as queries
from storage.models import Delivery, Experiment, Project
from workflow.delivery.kinds import SPECS, Kind, kinds_of, stream_of
from workflow.refs import Subject

# -- seeing the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    undelivered: int
    oldest_age: timedelta | None


def backlog(session: Session, *, now: datetime) -> Backlog:
    count, oldest = queries.backlog(session)
    return Backlog(count, now - oldest if oldest is not None else None)


@dataclass(frozen=True)
class Problem:
    """A delivery that failed for good, described for the people who can fix it."""

    delivery: Delivery
    what: str  # e.g. "the card of EXP-3", "the standup reminder"


def describe(session: Session, row: Delivery) -> str:
    """The row as a person knows it: "the card of EXP-3", "the standup reminder"."""
    return SPECS[Kind(row.kind)].describe(session, row)


def problems_of_person(session: Session, *, team_id: str, user_id: str) -> list[Problem]:
    """What failed for good among the person's changes; one per kind of post and error (a DM to
    each of twenty participants failing for one missing scope is one problem)."""
    seen: set[tuple[str, str | None, str | None]] = set()
    problems = []
    for row in queries.failed(session, team_id=team_id, actor_id=user_id):
        what = describe(session, row)
        if (what, row.channel_id, row.last_error) in seen:
            continue
        seen.add((what, row.channel_id, row.last_error))
        problems.append(Problem(row, what))
    return problems


def problems_of_experiment(session: Session, experiment: Experiment) -> list[Problem]:
    assert experiment.id is not None
    rows = queries.failed(
        session,
        team_id=experiment.team_id,
        subject_id=experiment.id,
        kinds=kinds_of(Subject.EXPERIMENT),
    )
    return [Problem(row, describe(session, row)) for row in rows]


def problems_of_project(session: Session, project: Project) -> list[Problem]:
    """What failed for good about a project: its card and its milestones' overdue reminders."""
    assert project.id is not None
    rows = queries.failed(
        session,
        team_id=project.team_id,
        stream=stream_of(Kind.PROJECT, project.id),
        kinds=kinds_of(Subject.PROJECT),
    )
    return [Problem(row, describe(session, row)) for row in rows]
