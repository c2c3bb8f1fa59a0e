"""Bias checks: the Record bias checks button, its modal, a check as posted in the thread, and
the lines in the review message and on `/experiment show`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks import Block, Message, message, section
from bot.text import escape, truncate, user_mention
from storage.models import BiasCheck, Experiment
from workflow import bias_checks
from workflow import vocabulary as v
from workflow.experiments import ref
from workflow.refs import Ref

ICON = {bias_checks.PASSED: ":white_check_mark:", bias_checks.CONCERNS: ":warning:"}
UNCHECKED_APPROVAL = "approved without recorded bias checks"


def record_button(number: int) -> Block:
    return {
        "type": "actions",
        "block_id": ids.block_id(ids.RECORD_BIAS_CHECK_BLOCK, Ref.experiment(number)),
        "elements": [
            {
                "type": "button",
                "action_id": ids.RECORD_BIAS_CHECK,
                "text": {"type": "plain_text", "text": "Record bias checks"},
                "value": ids.button_value(Ref.experiment(number)),
            }
        ],
    }


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def bias_check_modal(*, number: int) -> dict[str, Any]:
    """The modal the Record bias checks button opens."""
    return {
        "type": "modal",
        "callback_id": ids.BIAS_CHECK_MODAL,
        "private_metadata": ids.BiasCheckMeta(number).encode(),
        "title": {"type": "plain_text", "text": f"Bias checks: {ref(number)}"[:24]},
        "submit": {"type": "plain_text", "text": "Record"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": ids.BIAS_CHECKS_BLOCK,
                "label": {"type": "plain_text", "text": "Checks run"},
                "element": {
                    "type": "checkboxes",
                    "action_id": ids.CHOICE_INPUT,
                    "options": [_option(key, label) for key, label in bias_checks.CHECKS.items()],
                },
            },
            {
                "type": "input",
                "block_id": ids.BIAS_DATA_BLOCK,
                "label": {"type": "plain_text", "text": "Evaluation data or slice"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.TEXT_INPUT,
                    "max_length": bias_checks.DATA_MAX_CHARS,
                },
            },
            {
                "type": "input",
                "block_id": ids.BIAS_FINDINGS_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Findings"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.TEXT_INPUT,
                    "multiline": True,
                    "max_length": bias_checks.FINDINGS_MAX_CHARS,
                },
            },
            {
                "type": "input",
                "block_id": ids.BIAS_RESULT_BLOCK,
                "label": {"type": "plain_text", "text": "Result"},
                "element": {
                    "type": "radio_buttons",
                    "action_id": ids.CHOICE_INPUT,
                    "options": [_option(key, label) for key, label in bias_checks.RESULTS.items()],
                },
            },
        ],
    }


def approved_unchecked(review_kind: str, review_status: str, checks: Sequence[BiasCheck]) -> bool:
    """An approved ethics review with no passed bias check on record."""
    return (
        review_kind == v.ReviewKind.ETHICS
        and review_status == v.ReviewState.APPROVED
        and not bias_checks.has_passed(checks)
    )


def check_line(check: BiasCheck) -> str:
    """One recorded check: result, which checks, on what data, by whom and when."""
    result = bias_checks.RESULTS.get(check.result, check.result)
    line = (
        f"{ICON.get(check.result, '')} *{result}*: {bias_checks.labels(check)} "
        f"on _{truncate(escape(check.data), 200)}_ · {user_mention(check.reviewer_id)} "
        f"{check.created_at:%Y-%m-%d}"
    )
    if check.findings:
        line += "".join(f"\n> {part}" for part in truncate(escape(check.findings), 500).splitlines())
    return line


def checks_block(checks: Sequence[BiasCheck]) -> Block | None:
    """The recorded bias checks, in the review message and on `/experiment show`."""
    if not checks:
        return None
    return section(truncate(f"*Bias checks* ({len(checks)})\n" + "\n".join(map(check_line, checks)), 3000))


def check_message(check: BiasCheck, experiment: Experiment) -> Message:
    """Posted in the thread when bias checks are recorded."""
    headline = f":scales: {user_mention(check.reviewer_id)} recorded bias checks on {ref(experiment.number)}"
    result = bias_checks.RESULTS.get(check.result, check.result)
    return message(
        f"Bias checks on {ref(experiment.number)}: {result.lower()}",
        [section(truncate(f"{headline}\n{check_line(check)}", 3000))],
    )
