"""What a person's App Home shows: what waits on them, their open experiments, the latest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from storage import experiments as queries
from storage.models import Experiment
from workflow import vocabulary as v
from workflow.permissions import Policy
from workflow.waiting import Waiting, waiting_on

SHOWN = 10
OPEN_STATUSES = tuple(s for s in v.STATUSES if s not in v.CLOSED_STATUSES)


@dataclass(frozen=True)
class Home:
    waiting: list[Waiting]
    mine: Sequence[Experiment]
    recent: Sequence[Experiment]


def home(session: Session, *, team_id: str, user_id: str, policy: Policy) -> Home:
    mine, _ = queries.list_for_team(
        session, team_id=team_id, owner_id=user_id, statuses=OPEN_STATUSES, limit=SHOWN
    )
    recent, _ = queries.list_for_team(session, team_id=team_id, limit=SHOWN)
    return Home(
        waiting=waiting_on(session, team_id=team_id, user_id=user_id, policy=policy),
        mine=mine,
        recent=recent,
    )
