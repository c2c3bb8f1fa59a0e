"""Builders for the review thread stay inside Slack's Block Kit limits whatever the data."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.review import history_view
from storage.models import AuditEvent


def test_a_long_history_fits_one_message_without_cutting_lines() -> None:
    events = [
        AuditEvent(
            id=i,
            team_id="T",
            experiment_id=1,
            actor_id="U0123456789",
            action="metrics",
            detail="<&>" * 200,  # escapes to far more than the 200 characters shown per line
            created_at=datetime(2026, 11, 24, tzinfo=UTC),
        )
        for i in range(250)
    ]
    view = history_view("EXP-1", events)
    assert len(view["blocks"]) <= 50
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert all(len(text) < 3000 for text in sections[1:])
    assert sum(text.count("\n") + 1 for text in sections[1:]) == 200
    assert "50 earlier events are not shown" in str(view["blocks"])
