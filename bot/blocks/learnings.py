"""Learnings: the prompt with its Record a learning button, the modal, a learning in the thread,
search results, and the lines on `/experiment show` and in the experiment-review reminder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks import Block, Message, context, divider, message, section
from bot.text import escape, truncate, user_mention
from storage.models import Experiment, Learning
from workflow import learnings
from workflow.experiments import ref
from workflow.refs import Ref

# A learning's first line, where only that is shown (a reminder, a search result's headline).
FIRST_LINE_CHARS = 150
# The reminder lists this many learnings, then counts the rest.
REMINDER_LEARNINGS = 10


def _tags(learning: Learning) -> str:
    return " ".join(f"`#{tag}`" for tag in learning.tags.split(",") if tag)


def prompt_message(experiment: Experiment) -> Message:
    """Posted in the thread once the experiment closes."""
    text = (
        f":bulb: {ref(experiment.number)} is closed. What did we learn? "
        "Anyone can record a learning; the team will find it with `/experiment learnings`."
    )
    button = {
        "type": "button",
        "action_id": ids.RECORD_LEARNING,
        "text": {"type": "plain_text", "text": "Record a learning"},
        "style": "primary",
        "value": ids.button_value(Ref.experiment(experiment.number)),
    }
    return message(
        f"{ref(experiment.number)} is closed: record a learning",
        [section(text), {"type": "actions", "block_id": ids.LEARNING_PROMPT_BLOCK, "elements": [button]}],
    )


def _input(block_id: str, label: str, *, optional: bool, max_length: int, multiline: bool) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "plain_text_input",
            "action_id": ids.TEXT_INPUT,
            "multiline": multiline,
            "max_length": max_length,
        },
    }


def learning_modal(*, number: int) -> dict[str, Any]:
    """The modal the Record a learning button opens."""
    return {
        "type": "modal",
        "callback_id": ids.LEARNING_MODAL,
        "private_metadata": ids.LearningMeta(number).encode(),
        "title": {"type": "plain_text", "text": f"Learning: {ref(number)}"[:24]},
        "submit": {"type": "plain_text", "text": "Record"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input(
                ids.LEARNING_TEXT_BLOCK,
                "What we learned",
                optional=False,
                max_length=learnings.TEXT_MAX_CHARS,
                multiline=True,
            ),
            _input(
                ids.LEARNING_DIFFERENTLY_BLOCK,
                "What we would do differently",
                optional=True,
                max_length=learnings.DIFFERENTLY_MAX_CHARS,
                multiline=True,
            ),
            _input(
                ids.LEARNING_TAGS_BLOCK,
                "Tags (comma-separated words)",
                optional=True,
                max_length=learnings.TAGS_MAX_CHARS,
                multiline=False,
            ),
        ],
    }


def _body(learning: Learning) -> str:
    text = f"> {escape(learning.text)}".replace("\n", "\n> ")
    if learning.differently:
        text += f"\n*Next time:* {escape(learning.differently)}"
    return text


def learning_message(learning: Learning, experiment: Experiment) -> Message:
    """A learning, posted in the experiment's thread."""
    headline = f":bulb: {user_mention(learning.author_id)} recorded a learning on {ref(experiment.number)}"
    blocks = [section(truncate(f"{headline}\n{_body(learning)}", 3000))]
    if learning.tags:
        blocks.append(context(_tags(learning)))
    first = escape(learnings.first_line(learning.text))
    return message(truncate(f"Learning on {ref(experiment.number)}: {first}", 300), blocks)


def learning_lines(found: Sequence[Learning]) -> list[Block]:
    """The learnings on `/experiment show`."""
    if not found:
        return []
    lines = [
        f"• {truncate(escape(item.text), 500)} · {user_mention(item.author_id)} "
        f"{item.created_at:%Y-%m-%d}" + (f" {_tags(item)}" if item.tags else "")
        for item in found
    ]
    return [section(truncate(f"*Learnings* ({len(found)})\n" + "\n".join(lines), 3000))]


def search_results(found: learnings.Found) -> Message:
    """An ephemeral answer to `/experiment learnings [words…]`."""
    words = " ".join(found.words)
    title = f"Learnings matching “{escape(words)}”" if words else "Newest learnings"
    if not found.items:
        hint = "Try fewer or other words." if words else "Record one with `/experiment learn EXP-1 <text>`."
        return message(f"{title}: none", [section(f"*{title}*\nNothing yet. {hint}")])
    blocks: list[Block] = [section(f"*{title}* ({found.total})"), divider()]
    for learning, experiment in found.items:
        text = (
            f"*{ref(experiment.number)}* · {user_mention(learning.author_id)} · "
            f"{learning.created_at:%Y-%m-%d}\n{truncate(escape(learning.text), 1000)}"
        )
        if learning.differently:
            text += f"\n_Next time:_ {truncate(escape(learning.differently), 500)}"
        if learning.tags:
            text += f"\n{_tags(learning)}"
        blocks.append(section(text))
    if found.hidden > 0:
        blocks.append(context(f"…and {found.hidden} more. Narrow it with more words."))
    return message(f"{title}: {found.total}", blocks)


def since_review_block(items: Sequence[tuple[Learning, Experiment]]) -> Block:
    """The experiment-review reminder's "Learnings since the last review"."""
    lines = [f"*:bulb: Learnings since the last review* ({len(items)})"]
    for learning, experiment in items[:REMINDER_LEARNINGS]:
        first = truncate(escape(learnings.first_line(learning.text)), FIRST_LINE_CHARS)
        lines.append(f"• {ref(experiment.number)} · {user_mention(learning.author_id)}: {first}")
    if len(items) > REMINDER_LEARNINGS:
        lines.append(f"…and {len(items) - REMINDER_LEARNINGS} more: `/experiment learnings`")
    return section(truncate("\n".join(lines), 3000))
