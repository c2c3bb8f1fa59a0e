"""Builders for learnings and bias checks: ids that listeners find, Slack's limits, escaping."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot import ids
from bot.blocks.bias_checks import approved_unchecked, bias_check_modal, check_line, record_button
from bot.blocks.learnings import learning_modal, prompt_message, since_review_block
from storage.models import BiasCheck, Experiment, Learning
from workflow import bias_checks, learnings

WHEN = datetime(2026, 11, 30, tzinfo=UTC)


def _experiment(number: int = 7) -> Experiment:
    return Experiment(
        id=number, team_id="T", number=number, hypothesis="h", workstream="w", owner_id="U1", timeline_weeks=2
    )


def test_the_prompt_button_names_the_experiment_and_the_modal_carries_it() -> None:
    button = prompt_message(_experiment())["blocks"][-1]["elements"][0]
    assert (button["action_id"], button["value"]) == (ids.RECORD_LEARNING, "7")
    modal = learning_modal(number=7)
    assert modal["callback_id"] == ids.LEARNING_MODAL
    assert json.loads(modal["private_metadata"]) == {"number": 7}
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    assert blocks[ids.LEARNING_TEXT_BLOCK]["element"]["max_length"] == learnings.TEXT_MAX_CHARS
    assert not blocks[ids.LEARNING_TEXT_BLOCK]["optional"] and blocks[ids.LEARNING_TAGS_BLOCK]["optional"]


def test_the_reminder_lists_ten_first_lines_then_counts_the_rest_escaped() -> None:
    items = [
        (
            Learning(
                id=n, team_id="T", experiment_id=1, author_id="U1", text=f"<b>{n}</b>\nmore", created_at=WHEN
            ),
            _experiment(n + 1),
        )
        for n in range(13)
    ]
    text = since_review_block(items)["text"]["text"]
    assert "(13)" in text and "…and 3 more" in text
    assert "EXP-10 · <@U1>: &lt;b&gt;9&lt;/b&gt;" in text and "EXP-11" not in text and "more\n" not in text


def test_the_bias_modal_offers_every_check_and_both_results() -> None:
    modal = bias_check_modal(number=3)
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    offered = [o["value"] for o in blocks[ids.BIAS_CHECKS_BLOCK]["element"]["options"]]
    assert offered == list(bias_checks.CHECKS)
    results = [o["value"] for o in blocks[ids.BIAS_RESULT_BLOCK]["element"]["options"]]
    assert results == [bias_checks.PASSED, bias_checks.CONCERNS]
    assert record_button(3)["elements"][0]["value"] == "3"


def test_a_check_line_and_the_unchecked_approval_note() -> None:
    check = BiasCheck(
        id=1,
        team_id="T",
        experiment_id=1,
        reviewer_id="U2",
        checks="privacy_pii,other",
        data="<!channel> slice",
        findings="line one\nline two",
        result=bias_checks.CONCERNS,
        created_at=WHEN,
    )
    line = check_line(check)
    assert "*Concerns*: Privacy and PII, Other on _&lt;!channel&gt; slice_" in line
    assert "\n> line one\n> line two" in line
    assert approved_unchecked("ethics", "approved", [])
    assert approved_unchecked("ethics", "approved", [check])  # concerns is not a pass
    assert not approved_unchecked(
        "ethics", "approved", [BiasCheck(**{**check.model_dump(), "result": "passed"})]
    )
    assert not approved_unchecked("technical", "approved", [])
