"""Who is told what in a DM: the owner of an experiment hears what happens to it, unless they
turned that off (`/aiteam notify off`) or are away that day."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from storage import notifications as queries
from storage.models import Delivery, Experiment
from storage.types import utcnow
from workflow import calendar
from workflow.delivery import OwnerNews, args_of
from workflow.errors import InvalidInput
from workflow.experiments import ExperimentDetail, detail_of

USAGE = "`/aiteam notify off` or `/aiteam notify on`"


def parse_choice(text: str) -> bool:
    choice = text.strip().lower()
    if choice not in ("on", "off"):
        raise InvalidInput(f"Say {USAGE}.")
    return choice == "on"


def set_owner_dms(session: Session, *, team_id: str, user_id: str, on: bool) -> bool:
    """Record the person's choice; False when it already was."""
    return queries.set_owner_dms(session, team_id=team_id, user_id=user_id, on=on, now=utcnow())


def owner_dms(session: Session, *, team_id: str, user_id: str) -> bool:
    return queries.owner_dms(session, team_id=team_id, user_id=user_id)


def owner_dm_to_send(
    session: Session, row: Delivery, *, today: date
) -> tuple[ExperimentDetail, OwnerNews] | str:
    """What an OWNER_DM row says, as things are when it is sent; or why nothing is sent."""
    assert row.subject_id is not None and row.user_id is not None
    news = args_of(row)
    assert isinstance(news, OwnerNews)
    d = detail_of(session, row.subject_id)
    if d is None:
        return "the experiment was deleted"
    experiment: Experiment = d.experiment
    if not owner_dms(session, team_id=row.team_id, user_id=row.user_id):
        return "the owner turned these DMs off"
    if calendar.away_among(session, team_id=row.team_id, user_ids=[row.user_id], today=today):
        return "the owner is away"
    assert experiment.owner_id == row.user_id
    return d, news
