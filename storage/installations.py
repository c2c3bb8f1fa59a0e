"""Installations in many workspaces: slack_sdk's stores on the bot's database, and the queries
that uninstalling a workspace runs in one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import ColumnElement, Table, exists, update
from sqlmodel import Session, SQLModel, col, select

from storage.db import Database
from storage.deliveries import UNDELIVERED, State
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, Delivery, Workspace
from storage.statements import rows_changed


class InstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store on the bot's database. Lookups (one per request and per delivery) run on
    the read-only engine, so on SQLite they never take the write lock; saves take the process's
    turn to write like every other writer (`Database.write_turn`)."""

    def __init__(self, db: Database, *, client_id: str) -> None:
        super().__init__(client_id=client_id, engine=db.engine)
        self._db = db
        self._lookups = SQLAlchemyInstallationStore(client_id=client_id, engine=db.reader)

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        return self._lookups.find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return self._lookups.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    def save(self, installation: Installation) -> None:
        with self._db.write_turn():
            super().save(installation)

    def save_bot(self, bot: Bot) -> None:
        with self._db.write_turn():
            super().save_bot(bot)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self._db.write_turn():
            super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        with self._db.write_turn():
            super().delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)


def state_store(db: Database, *, expiration_seconds: int) -> SQLAlchemyOAuthStateStore:
    """The OAuth `state` values handed to installers' browsers, kept in the database so any web
    worker can complete an install another one started."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds, engine=db.engine)


def installed_teams(session: Session) -> list[str]:
    """Every workspace holding a bot token, in team id order."""
    column = SLACK_BOTS.c.team_id
    rows = session.execute(
        select(column)
        .where(column.is_not(None), SLACK_BOTS.c.bot_token.is_not(None))
        .distinct()
        .order_by(column)
    )
    return [str(team) for (team,) in rows]


def forget_tokens(session: Session, *, team_id: str) -> int:
    """Delete the workspace's installations and bot tokens; how many rows went."""
    return sum(
        rows_changed(session, table.delete().where(table.c.team_id == team_id))
        for table in (SLACK_INSTALLATIONS, SLACK_BOTS)
    )


def fail_undelivered(session: Session, *, team_id: str, error: str, now: datetime) -> int:
    """Mark every pending or in-flight delivery of the workspace failed with `error`; a worker
    still sending one finds its claim gone when it records the outcome."""
    return rows_changed(
        session,
        update(Delivery)
        .where(col(Delivery.team_id) == team_id, col(Delivery.state).in_(UNDELIVERED))
        .values(state=State.FAILED, last_error=error, claimed_by=None, claimed_until=None, updated_at=now),
    )


def set_uninstalled(session: Session, *, team_id: str, at: datetime | None) -> None:
    """Record that the workspace uninstalled the app (`at`), or installed it again (None)."""
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        if at is None:
            return  # never uninstalled: nothing to clear
        workspace = Workspace(team_id=team_id)
    workspace.uninstalled_at = at
    session.add(workspace)
    session.flush()


def still_installed(team_id: Any) -> ColumnElement[bool]:
    """A condition on a query's `team_id` column: the workspace has not uninstalled the app.
    The scheduler's queries carry it, so an uninstalled workspace's ceremonies and nudges wait."""
    return ~exists().where(col(Workspace.team_id) == team_id, col(Workspace.uninstalled_at).is_not(None))


def is_uninstalled(session: Session, *, team_id: str) -> bool:
    workspace = session.get(Workspace, team_id)
    return workspace is not None and workspace.uninstalled_at is not None


def team_tables() -> Sequence[Table]:
    """Every table whose rows belong to one workspace (it has a `team_id` column), children first
    so deleting in this order never trips a foreign key."""
    return [t for t in reversed(SQLModel.metadata.sorted_tables) if "team_id" in t.c]


def delete_team(session: Session, *, team_id: str) -> dict[str, Any]:
    """Delete every row of the workspace in every table; how many went, by table."""
    deleted = {}
    for table in team_tables():
        count = rows_changed(session, table.delete().where(table.c.team_id == team_id))
        if count:
            deleted[table.name] = count
    return deleted


def rows_of_team(session: Session, *, team_id: str) -> dict[str, int]:
    """How many rows of the workspace each table holds (only tables holding some)."""
    counts = {}
    for table in team_tables():
        count = len(session.execute(select(table.c.team_id).where(table.c.team_id == team_id)).all())
        if count:
            counts[table.name] = count
    return counts
