"""Seeing the queue: its backlog, and what could never be delivered, described for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import deliveries as queries
from storage.models import Ceremony, CeremonyRun, Delivery, Experiment, Milestone, Project
from workflow.delivery.kinds import Kind, project_stream

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
    if row.kind in (Kind.EXPERIMENT, Kind.NOTICE, Kind.NUDGE) and row.subject_id is not None:
        experiment = session.get(Experiment, row.subject_id)
        ref = f"EXP-{experiment.number}" if experiment else "a deleted experiment"
        return {
            Kind.EXPERIMENT: f"the card of {ref}",
            Kind.NOTICE: f"a reply in the thread of {ref}",
            Kind.NUDGE: f"the reminder to reviewers of {ref}",
        }[Kind(row.kind)]
    if row.kind == Kind.REMINDER and row.subject_id is not None:
        run = session.get(CeremonyRun, row.subject_id)
        ceremony = session.get(Ceremony, run.ceremony_id) if run else None
        return f"the {ceremony.name} reminder" if ceremony else "a ceremony reminder"
    if row.kind == Kind.HOME:
        return f"the App Home of {row.user_id}"
    if row.kind == Kind.PROJECT and row.subject_id is not None:
        project = session.get(Project, row.subject_id)
        return f"the card of project {project.name}" if project else "the card of a deleted project"
    if row.kind == Kind.MILESTONE_OVERDUE and row.subject_id is not None:
        milestone = session.get(Milestone, row.subject_id)
        return f"the overdue reminder of M{milestone.number}" if milestone else "a milestone reminder"
    standup = {
        Kind.STANDUP_PROMPTS: "the standup prompts",
        Kind.STANDUP_DM: "the standup DMs",
        Kind.STANDUP_ANSWER: "a standup answer",
        Kind.STANDUP_SUMMARY: "the standup summary",
        Kind.RETRO_BOARD: "the retro board",
    }.get(Kind(row.kind))
    if standup is not None:
        return standup
    return f"a {row.kind} delivery"


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
        kinds=(Kind.EXPERIMENT, Kind.NOTICE, Kind.NUDGE),
    )
    return [Problem(row, describe(session, row)) for row in rows]


def problems_of_project(session: Session, project: Project) -> list[Problem]:
    """What failed for good about a project: its card and its milestones' overdue reminders."""
    assert project.id is not None
    rows = queries.failed(
        session,
        team_id=project.team_id,
        stream=project_stream(project.id),
        kinds=(Kind.PROJECT, Kind.MILESTONE_OVERDUE),
    )
    return [Problem(row, describe(session, row)) for row in rows]
