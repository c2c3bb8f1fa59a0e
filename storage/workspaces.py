"""Which workspaces the bot is installed in."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlmodel import Session

# slack_sdk's SQLAlchemy installation store keeps one row per installation of the bot here
# (OAuth installs; a reinstall adds a row, an uninstall deletes the workspace's rows).
INSTALLATIONS = "slack_bots"


def installed(session: Session) -> int:
    """Workspaces with an installation in slack_sdk's store when it holds any; else 1, the one
    workspace of SLACK_BOT_TOKEN (single-token mode)."""
    connection = session.connection()
    if not inspect(connection).has_table(INSTALLATIONS):
        return 1
    count = connection.execute(
        text(
            f"SELECT COUNT(*) FROM (SELECT DISTINCT enterprise_id, team_id FROM {INSTALLATIONS}) AS installed"
        )
    ).scalar_one()
    return int(count) or 1
