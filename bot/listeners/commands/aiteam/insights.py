"""`/aiteam insights [30d|90d|all]`: where the team's work waits, privately."""

from __future__ import annotations

from bot.blocks.insights import insights_message
from bot.listeners.commands.router import CommandRequest
from storage.types import utcnow
from workflow import insights


def show_insights(request: CommandRequest) -> None:
    window = insights.parse_window(request.rest)
    with request.services.db.read() as session:
        flow = insights.team_flow(session, team_id=request.team_id, window=window, now=utcnow())
        # Rendered while the session is open: the longest-waiting experiment is a row.
        payload = insights_message(flow, window)
    request.reply(payload["text"], payload["blocks"])
