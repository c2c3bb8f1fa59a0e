"""The webhook deliveries already handled (`WebhookReceipt`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.models import WebhookReceipt


def remember(session: Session, *, delivery_id: str, event: str) -> bool:
    """Keep the delivery id; False when it was kept already (a repeat), with nothing written."""
    try:
        with session.begin_nested():
            session.add(WebhookReceipt(delivery_id=delivery_id, event=event))
    except IntegrityError:
        return False
    return True


def forget_before(session: Session, *, before: datetime) -> int:
    """Drop receipts older than any delivery still accepted (its timestamp would be refused)."""
    result = session.connection().execute(
        delete(WebhookReceipt).where(col(WebhookReceipt.received_at) < before)
    )
    return int(result.rowcount or 0)
