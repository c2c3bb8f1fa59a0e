"""The workspaces the bot serves."""

from __future__ import annotations

from sqlmodel import Session

from storage import installations


def installed(session: Session, *, oauth: bool) -> int:
    """How many workspaces the bot is installed in: those holding a bot token in the OAuth
    installation store, or the one workspace of SLACK_BOT_TOKEN."""
    return len(installations.installed_teams(session)) if oauth else 1
