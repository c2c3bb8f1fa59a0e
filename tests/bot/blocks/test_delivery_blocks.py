"""What the bot could not deliver: where, why, and the command that retries it."""

from __future__ import annotations

from bot.blocks.deliveries import problem_block
from storage.models import Delivery
from workflow.delivery.problems import Problem


def test_a_problem_names_the_channel_the_reason_and_the_retry_command() -> None:
    row = Delivery(
        id=42, team_id="T1", kind="experiment", stream="s", channel_id="C9", last_error="not_in_channel"
    )
    text = problem_block(Problem(delivery=row, what="the card of <EXP-3>"))["text"]["text"]
    assert "the card of &lt;EXP-3&gt; to <#C9>" in text
    assert "`not_in_channel`" in text
    assert "`python -m bot deliveries retry 42`" in text


def test_a_problem_without_a_channel_or_error_still_reads() -> None:
    row = Delivery(id=7, team_id="T1", kind="home", stream="s")
    text = problem_block(Problem(delivery=row, what="your App Home"))["text"]["text"]
    assert "deliver your App Home:" in text and "`unknown_error`" in text
