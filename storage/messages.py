"""Digests of what the bot last sent into the messages it keeps up to date."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models import SentMessage
from storage.types import utcnow


def digests(session: Session, *, team_id: str, channel_id: str, ts: Collection[str]) -> dict[str, str]:
    """The digest last sent into each of these messages of a channel, by ts (none: unknown)."""
    if not ts:
        return {}
    rows = session.exec(
        select(SentMessage.ts, SentMessage.digest).where(
            SentMessage.team_id == team_id,
            SentMessage.channel_id == channel_id,
            col(SentMessage.ts).in_(list(ts)),
        )
    ).all()
    return dict(rows)


def _remember_statement(insert: Any) -> Any:
    statement = insert(SentMessage.__table__)  # type: ignore[attr-defined]
    return statement.on_conflict_do_update(
        index_elements=["team_id", "channel_id", "ts"],
        set_={"digest": statement.excluded.digest, "updated_at": statement.excluded.updated_at},
    )


_REMEMBER = {"postgresql": _remember_statement(pg_insert), "sqlite": _remember_statement(sqlite_insert)}


def remember(session: Session, *, team_id: str, channel_id: str, ts: str, digest: str) -> None:
    connection = session.connection()
    connection.execute(
        _REMEMBER[connection.dialect.name],
        {"team_id": team_id, "channel_id": channel_id, "ts": ts, "digest": digest, "updated_at": utcnow()},
    )


_FORGET = delete(SentMessage).where(
    col(SentMessage.team_id) == bindparam("team"),
    col(SentMessage.channel_id) == bindparam("channel"),
    col(SentMessage.ts).in_(bindparam("ts", expanding=True)),
)


def forget(session: Session, *, team_id: str, channel_id: str, ts: Collection[str]) -> None:
    """Send these messages in full next time, changed or not."""
    if ts:
        session.connection().execute(_FORGET, {"team": team_id, "channel": channel_id, "ts": list(ts)})
