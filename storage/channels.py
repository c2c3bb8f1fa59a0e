"""Which channels the bot's messages live in: ceremonies post there, cards were posted there."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import Ceremony, Experiment


def ceremony_channels(session: Session, *, team_id: str) -> Sequence[tuple[str, str]]:
    """(channel_id, ceremony name) for every ceremony, paused ones included."""
    rows = session.exec(
        select(Ceremony.channel_id, Ceremony.name).where(Ceremony.team_id == team_id).order_by(Ceremony.name)
    ).all()
    return [(channel, name) for channel, name in rows]


def card_channels(session: Session, *, team_id: str) -> Sequence[tuple[str, int]]:
    """(channel_id, experiment number) for every experiment whose card was posted."""
    rows = session.exec(
        select(Experiment.channel_id, Experiment.number)
        .where(
            Experiment.team_id == team_id,
            col(Experiment.channel_id).is_not(None),
            col(Experiment.message_ts).is_not(None),
        )
        .order_by(col(Experiment.number))
    ).all()
    return [(channel, number) for channel, number in rows if channel]
