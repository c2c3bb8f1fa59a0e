"""Installing in many workspaces: what an install, an uninstall and a revoked bot token change.

An uninstall (or the bot token revoked) forgets the workspace's tokens and stops everything the
bot still owed it, in one unit of work: its undelivered rows are marked failed with
`UNINSTALLED` (they show in `python -m bot deliveries`), and its ceremonies and nudges wait
(the scheduler's queries skip a workspace marked uninstalled). With `OnUninstall.DELETE`, every
row of the workspace in every table goes instead. Installing again resumes what was kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from storage import audit
from storage import installations as queries
from storage.db import Database
from storage.installations import InstallationStore
from workflow import vocabulary as v

__all__ = ["UNINSTALLED", "InstallationStore", "OnUninstall", "Uninstalled", "installation_store"]

# The error recorded on the deliveries an uninstall stopped, and on any a worker could not send
# because the workspace has no token any more.
UNINSTALLED = "the app was uninstalled"
# Who the audit trail says uninstalled the app: Slack tells no user, so Slackbot.
SLACKBOT = "USLACKBOT"


class OnUninstall(StrEnum):
    """DATA_ON_UNINSTALL: what becomes of a workspace's rows when it uninstalls the app."""

    KEEP = "keep"
    DELETE = "delete"


@dataclass(frozen=True)
class Uninstalled:
    team_id: str
    tokens: int  # installation and bot rows forgotten
    stopped: int  # undelivered deliveries marked failed
    deleted: dict[str, int] = field(default_factory=dict)  # rows deleted, by table (DELETE)


def installation_store(db: Database, *, client_id: str) -> InstallationStore:
    return InstallationStore(db, client_id=client_id)


def state_store(db: Database, *, expiration_seconds: int) -> queries.SQLAlchemyOAuthStateStore:
    return queries.state_store(db, expiration_seconds=expiration_seconds)


def installed_teams(session: Session) -> list[str]:
    return queries.installed_teams(session)


def installed(session: Session, *, team_id: str, installer_id: str) -> bool:
    """The workspace installed the app (its tokens are already stored): resume what an uninstall
    paused. True when it had uninstalled it before (a reinstall)."""
    again = queries.is_uninstalled(session, team_id=team_id)
    queries.set_uninstalled(session, team_id=team_id, at=None)
    audit.record(
        session,
        team_id=team_id,
        actor_id=installer_id,
        action=v.AuditAction.APP_INSTALLED,
        detail="installed again: its ceremonies resume" if again else "installed",
    )
    return again


def uninstalled(session: Session, *, team_id: str, now: datetime, data: OnUninstall) -> Uninstalled:
    """The workspace uninstalled the app, or revoked its bot token: nothing can reach it now."""
    tokens = queries.forget_tokens(session, team_id=team_id)
    stopped = queries.fail_undelivered(session, team_id=team_id, error=UNINSTALLED, now=now)
    if data is OnUninstall.DELETE:
        deleted = queries.delete_team(session, team_id=team_id)
        return Uninstalled(team_id, tokens=tokens, stopped=stopped, deleted=deleted)
    queries.set_uninstalled(session, team_id=team_id, at=now)
    audit.record(
        session,
        team_id=team_id,
        actor_id=SLACKBOT,
        action=v.AuditAction.APP_UNINSTALLED,
        detail=f"{stopped} undelivered message(s) stopped; ceremonies wait for a reinstall",
    )
    return Uninstalled(team_id, tokens=tokens, stopped=stopped)


def rows_of_team(session: Session, *, team_id: str) -> dict[str, int]:
    """How many rows of the workspace each table holds (what DATA_ON_UNINSTALL=delete removes)."""
    return queries.rows_of_team(session, team_id=team_id)
