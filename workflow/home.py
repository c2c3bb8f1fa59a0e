"""What one person's App Home shows: what waits on them, their experiments and projects, their
projects' milestones due soon, the team's flow over the last 30 days, the workspace's latest, and
anything the bot could never deliver for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from storage import experiments as queries
from storage.models import Away, Experiment
from storage.types import utcnow
from workflow import calendar, delivery, insights, notifications, projects
from workflow import vocabulary as v
from workflow.delivery import Problem
from workflow.permissions import Policy
from workflow.projects import MilestoneDue, MyProject
from workflow.waiting import Waiting, waiting_on


@dataclass(frozen=True)
class Home:
    user_id: str
    waiting: Sequence[Waiting]
    mine: Sequence[Experiment]
    recent: Sequence[Experiment]
    problems: Sequence[Problem]
    away: Away | None = None
    projects: Sequence[MyProject] = ()
    # Open milestones of the person's projects due in the next HOME_DAYS_AHEAD days.
    milestones: Sequence[MilestoneDue] = ()
    flow: insights.Flow | None = None  # the team's, over `insights.HOME_WINDOW`
    owner_dms: bool = True  # whether they get DMs about their own experiments
    signoff_expires: timedelta | None = None  # how long a sign-off request may wait


def home(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    policy: Policy,
    today: date | None = None,
    now: datetime | None = None,
    signoff_expires: timedelta | None = None,
) -> Home:
    mine, _ = queries.list_for_team(
        session, team_id=team_id, owner_id=user_id, statuses=v.OPEN_STATUSES, limit=10
    )
    recent, _ = queries.list_for_team(session, team_id=team_id, limit=10)
    now = now or utcnow()
    today = today or now.date()
    mine_projects = projects.projects_of_person(session, team_id=team_id, user_id=user_id)
    due = projects.milestones_due(
        session,
        team_id=team_id,
        today=today,
        days_ahead=projects.HOME_DAYS_AHEAD,
        overdue=False,
        project_ids=[p.project.id for p in mine_projects if p.project.id is not None],
    )
    return Home(
        user_id=user_id,
        waiting=waiting_on(session, team_id=team_id, user_id=user_id, policy=policy),
        mine=mine,
        recent=recent,
        problems=delivery.problems_of_person(session, team_id=team_id, user_id=user_id),
        away=calendar.away_status(session, team_id=team_id, user_id=user_id, today=today),
        projects=mine_projects,
        milestones=due,
        flow=insights.team_flow(session, team_id=team_id, window=insights.HOME_WINDOW, now=now),
        owner_dms=notifications.owner_dms(session, team_id=team_id, user_id=user_id),
        signoff_expires=signoff_expires,
    )
