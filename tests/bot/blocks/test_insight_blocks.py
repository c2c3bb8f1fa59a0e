"""Flow insights as text: durations, figures or why there are none, the retro line, the answer's
limits."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks import MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT
from bot.blocks.insights import MAX_REVIEWERS, figures, insights_message, retro_line, span
from tests.harness import all_text
from workflow import insights
from workflow.insights import Flow, Spread

DAY = timedelta(days=1)
NOW = datetime.fromisoformat("2026-12-01T09:00:00+00:00")


def test_durations_read_as_minutes_hours_or_days() -> None:
    assert span(timedelta(seconds=5)) == "1 min"
    assert span(timedelta(minutes=40)) == "40 min"
    assert span(timedelta(hours=1)) == "1 hour"
    assert span(timedelta(hours=5, minutes=20)) == "5 hours"
    assert span(DAY) == "1 day"
    assert span(timedelta(hours=29)) == "1.2 days"
    assert span(9 * DAY) == "9 days"
    assert span(timedelta(days=12, hours=13)) == "13 days"


def test_figures_or_not_enough_data() -> None:
    assert figures(Spread.of([DAY, 2 * DAY, 4 * DAY])) == "median 2 days · 80th pct 4 days (n=3)"
    assert figures(Spread.of([DAY, DAY])) == "not enough data (n=2)"
    assert figures(Spread()) == "not enough data (n=0)"


def test_the_retro_line() -> None:
    flow = Flow(
        since=NOW - 14 * DAY,
        until=NOW,
        shipped=3,
        to_production=Spread.of([8 * DAY, 9 * DAY, 12 * DAY]),
        reviews=Spread.of([DAY, timedelta(hours=29), 3 * DAY]),
        by_kind={
            "technical": Spread.of([DAY] * 3),
            "ethics": Spread.of([3 * DAY] * 3),
            "business": Spread.of([5 * DAY]),  # slower, but too few to say so
        },
    )
    assert (
        retro_line(flow)
        == "3 shipped · median 9 days to production · reviews waited 1.2 days (ethics slowest)"
    )
    quiet = Flow(since=None, until=NOW)
    assert retro_line(quiet) == (
        "0 shipped · time to production: not enough data (n=0) · review wait: not enough data (n=0)"
    )


def test_many_reviewers_stay_within_slacks_limits() -> None:
    reviewers = {f"U{i:03d}": Spread.of([i * DAY] * 3) for i in range(1, 60)}
    flow = Flow(since=NOW - 30 * DAY, until=NOW, by_reviewer=reviewers)
    payload = insights_message(flow, "30d")
    assert len(payload["blocks"]) <= MAX_MESSAGE_BLOCKS
    assert all(len(b.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT for b in payload["blocks"])
    text = all_text(payload["blocks"])
    # Slowest first, the rest counted.
    assert text.index("<@U059>") < text.index("<@U058>")
    assert f"…and {59 - MAX_REVIEWERS} more" in text
    assert "Slowest reviewer: <@U059>, median 59 days." in text
    assert f"fewer than {insights.MIN_SAMPLES} samples" in text
