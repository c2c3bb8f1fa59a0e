"""The channels the bot must be a member of, and what each one holds."""

from __future__ import annotations

from sqlmodel import Session

from storage import channels as queries
from workflow.experiments import ref


def channels_in_use(session: Session, *, team_id: str) -> dict[str, list[str]]:
    """{channel_id: what lives there}, e.g. {"C1": ["ceremony standup", "EXP-3 card"]}."""
    used: dict[str, list[str]] = {}
    for channel, name in queries.ceremony_channels(session, team_id=team_id):
        used.setdefault(channel, []).append(f"ceremony {name}")
    for channel, number in queries.card_channels(session, team_id=team_id):
        used.setdefault(channel, []).append(f"{ref(number)} card")
    return used
