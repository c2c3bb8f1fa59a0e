"""Standups that collect answers: the button, the DM, the modal, the thread reply, the summary."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks import Block, Message, context, divider, message, section
from bot.blocks.experiments import card_link
from bot.text import channel_mention, escape, user_mention
from storage.models import Ceremony, Experiment, StandupAnswer
from workflow import standups
from workflow.refs import MENTIONED_EXPERIMENT
from workflow.standups import Dm, Reply, Summary

MAX_LISTED = 30


def share_button(run_id: int) -> Block:
    return {
        "type": "actions",
        "block_id": ids.row_block_id(ids.SHARE_UPDATE_BLOCK, run_id),
        "elements": [
            {
                "type": "button",
                "action_id": ids.SHARE_UPDATE,
                "text": {"type": "plain_text", "text": "Share my update"},
                "style": "primary",
                "value": str(run_id),
            }
        ],
    }


def linked(text: str, experiments: dict[int, Experiment]) -> str:
    """User text escaped for mrkdwn, with each `EXP-<n>` that names a card linked to it."""

    def link(match: re.Match[str]) -> str:
        experiment = experiments.get(int(match.group(1)))
        return card_link(experiment) if experiment is not None else match.group(0)

    return MENTIONED_EXPERIMENT.sub(link, escape(text))


def dm_message(dm: Dm) -> Message:
    ceremony = dm.ceremony
    where = channel_mention(ceremony.channel_id)
    if dm.followup:
        text = f":wave: Still time to share your *{escape(ceremony.name)}* update for {where}."
    else:
        text = (
            f":sunrise: Time for *{escape(ceremony.name)}* in {where}: what moved, what's blocking you, "
            "where you need help."
        )
    assert dm.run.id is not None
    return message(text, [section(text), share_button(dm.run.id)])


def _input(block_id: str, label: str, *, optional: bool, initial: str | None, hint: str) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.STANDUP_INPUT,
        "multiline": True,
        "max_length": standups.TEXT_MAX_CHARS,
        "placeholder": {"type": "plain_text", "text": hint},
    }
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def answer_modal(*, run_id: int, ceremony: Ceremony, previous: StandupAnswer | None) -> dict[str, Any]:
    """The modal the Share my update button opens; a second answer starts from the first."""
    return {
        "type": "modal",
        "callback_id": ids.STANDUP_MODAL,
        "private_metadata": ids.StandupMeta(run_id).encode(),
        "title": {"type": "plain_text", "text": "Standup update"},
        "submit": {"type": "plain_text", "text": "Share"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input(
                ids.STANDUP_PROGRESS_BLOCK,
                "Progress",
                optional=False,
                initial=previous.progress if previous else None,
                hint="What moved since the last standup (EXP-12 links the experiment)",
            ),
            _input(
                ids.STANDUP_BLOCKERS_BLOCK,
                "Blockers",
                optional=True,
                initial=previous.blockers if previous else None,
                hint="What is in your way; naming EXP-12 tells its thread",
            ),
            _input(
                ids.STANDUP_HELP_BLOCK,
                "Help needed",
                optional=True,
                initial=previous.help if previous else None,
                hint="Where someone could help",
            ),
        ],
    }


def answer_reply(reply: Reply) -> Message:
    """The person's answer, in the reminder's thread; empty sections left out."""
    a, exps = reply.answer, reply.experiments
    late = " _(late)_" if a.late else ""
    lines = [f"*{user_mention(a.user_id)}*{late}", f"*Progress*\n{linked(a.progress, exps)}"]
    if a.blockers:
        lines.append(f"*Blockers*\n{linked(a.blockers, exps)}")
    if a.help:
        lines.append(f"*Help needed*\n{linked(a.help, exps)}")
    text = "\n".join(lines)
    return message(f"Standup update from {user_mention(a.user_id)}", [section(text)])


def _people(user_ids: Sequence[str]) -> str:
    shown = ", ".join(user_mention(u) for u in user_ids[:MAX_LISTED])
    return shown + (f" and {len(user_ids) - MAX_LISTED} more" if len(user_ids) > MAX_LISTED else "")


def summary_blocks(s: Summary) -> list[Block]:
    exps = s.experiments
    blocks: list[Block] = [divider(), section(f"*Summary* · {len(s.answers)} answered")]
    if s.answers:
        blocks.append(section(f"*Answered:* {_people([a.user_id for a in s.answers])}"))
    blockers = [f"• {user_mention(a.user_id)}: {linked(a.blockers, exps)}" for a in s.answers if a.blockers]
    if blockers:
        blocks.append(section("*Blockers*\n" + "\n".join(blockers[:MAX_LISTED])))
    helps = [f"• {user_mention(a.user_id)}: {linked(a.help, exps)}" for a in s.answers if a.help]
    if helps:
        blocks.append(section("*Help needed*\n" + "\n".join(helps[:MAX_LISTED])))
    if s.missing:
        blocks.append(section(f"*No answer:* {_people(s.missing)}"))
    if s.away:
        blocks.append(section(f"*Away:* {_people(s.away)}"))
    blocks.append(
        context("Answers after the close still post in the thread, marked late, and update this summary.")
    )
    return blocks


def with_summary(reminder: Message, s: Summary) -> Message:
    """The reminder as posted, with its share button left on and the summary added."""
    return message(reminder["text"], [*reminder["blocks"], *summary_blocks(s)])


def blocked_notice(experiment: Experiment, *, user_id: str, blockers: str) -> Message:
    text = (
        f":construction: {user_mention(user_id)} is blocked on {card_link(experiment)} "
        f"(from the standup):\n{linked(blockers, {experiment.number: experiment})}"
    )
    return message(text, [section(text)])


def participants_answer(ceremony: Ceremony, user_ids: Sequence[str], *, changed: bool = False) -> str:
    prefix = ":white_check_mark: " if changed else ""
    if not user_ids:
        return (
            f"{prefix}*{escape(ceremony.name)}* asks the people in {channel_mention(ceremony.channel_id)} "
            "(bots and deactivated accounts left out)."
        )
    return f"{prefix}*{escape(ceremony.name)}* asks {_people(list(user_ids))}."
