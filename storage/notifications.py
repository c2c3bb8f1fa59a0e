"""Queries over people's choices about the bot's DMs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import NotificationSetting


def owner_dms(session: Session, *, team_id: str, user_id: str) -> bool:
    """Whether the person wants DMs about their own experiments (yes, unless they said no)."""
    setting = session.exec(
        select(NotificationSetting).where(
            col(NotificationSetting.team_id) == team_id, col(NotificationSetting.user_id) == user_id
        )
    ).first()
    return setting is None or setting.owner_dms


def set_owner_dms(session: Session, *, team_id: str, user_id: str, on: bool, now: datetime) -> bool:
    """Record the choice; False when it was already that."""
    setting = session.exec(
        select(NotificationSetting)
        .where(col(NotificationSetting.team_id) == team_id, col(NotificationSetting.user_id) == user_id)
        .with_for_update()
    ).first()
    if setting is None:
        if on:
            return False  # the default
        try:
            with session.begin_nested():
                session.add(
                    NotificationSetting(team_id=team_id, user_id=user_id, owner_dms=on, updated_at=now)
                )
        except IntegrityError:  # the same person, a moment ago: the same choice
            return False
        return True
    if setting.owner_dms == on:
        return False
    setting.owner_dms, setting.updated_at = on, now
    session.add(setting)
    return True
