"""The workspaces the bot serves."""

from __future__ import annotations

from sqlmodel import Session

from storage import workspaces as queries


def installed(session: Session) -> int:
    """How many workspaces the bot is installed in (see `storage.workspaces.installed`)."""
    return queries.installed(session)
