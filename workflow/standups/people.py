"""Who a standup asks: its explicit participants, else the channel's human members."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlmodel import Session

from storage import standups as queries
from storage.models import Ceremony
from workflow import ceremonies
from workflow import vocabulary as v
from workflow.errors import InvalidInput


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


def humans(members: Collection[dict]) -> list[str]:
    """Of users.info answers, the people: no bots, no deactivated accounts."""
    return [
        m["id"]
        for m in members
        if not m.get("is_bot") and not m.get("deleted") and m.get("id") != "USLACKBOT"
    ]
