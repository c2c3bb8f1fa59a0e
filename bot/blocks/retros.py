"""Retros: the Add a note button and its modal, the board, action items with their Done button.

An anonymous note is rendered from a row that holds no author, so nothing here can name it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks import MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT, Block, Message, context, message, section
from bot.text import escape, truncate, user_mention
from storage.models import RetroNote
from workflow import retros
from workflow.retros import Board, Carried

ICON = {retros.WENT_WELL: ":tada:", retros.TO_IMPROVE: ":hammer_and_wrench:", retros.ACTION_ITEM: ":dart:"}
TITLE = {retros.WENT_WELL: "Went well", retros.TO_IMPROVE: "To improve", retros.ACTION_ITEM: "Action items"}
# Action items listed with a button each, on a board or in `/ceremony actions`.
MAX_ACTIONS = 20
# A note is shown up to this long on the board; the whole of it is in the database.
NOTE_SHOWN_CHARS = 1000


def note_button(run_id: int) -> Block:
    return {
        "type": "actions",
        "block_id": ids.row_block_id(ids.ADD_NOTE_BLOCK, run_id),
        "elements": [
            {
                "type": "button",
                "action_id": ids.ADD_NOTE,
                "text": {"type": "plain_text", "text": "Add a note"},
                "style": "primary",
                "value": str(run_id),
            }
        ],
    }


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def note_modal(*, run_id: int) -> dict[str, Any]:
    """The modal the Add a note button opens. It knows only the retro: never who opened it."""
    return {
        "type": "modal",
        "callback_id": ids.RETRO_NOTE_MODAL,
        "private_metadata": ids.RetroNoteMeta(run_id).encode(),
        "title": {"type": "plain_text", "text": "Retro note"},
        "submit": {"type": "plain_text", "text": "Add"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": ids.RETRO_KIND_BLOCK,
                "label": {"type": "plain_text", "text": "Kind"},
                "element": {
                    "type": "radio_buttons",
                    "action_id": ids.RETRO_KIND_INPUT,
                    "options": [_option(kind, retros.LABEL[kind]) for kind in retros.KINDS],
                },
            },
            {
                "type": "input",
                "block_id": ids.RETRO_TEXT_BLOCK,
                "label": {"type": "plain_text", "text": "Note"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.RETRO_TEXT_INPUT,
                    "multiline": True,
                    "max_length": retros.TEXT_MAX_CHARS,
                    "placeholder": {"type": "plain_text", "text": "What went well, to improve, to do"},
                },
            },
            {
                "type": "input",
                "block_id": ids.RETRO_OWNER_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Owner (action items)"},
                "element": {"type": "users_select", "action_id": ids.RETRO_OWNER_INPUT},
            },
            {
                "type": "input",
                "block_id": ids.RETRO_ANONYMOUS_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Anonymous"},
                "element": {
                    "type": "checkboxes",
                    "action_id": ids.RETRO_ANONYMOUS_INPUT,
                    "options": [
                        _option(ids.RETRO_ANONYMOUS_VALUE, "Post anonymously (went well, to improve)")
                    ],
                },
            },
            context("Notes stay hidden until the retro starts; then the board is posted in its thread."),
        ],
    }


def done_button(note: RetroNote) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": ids.ACTION_DONE,
        "text": {"type": "plain_text", "text": "Done"},
        "value": str(note.id),
    }


def _note_line(note: RetroNote) -> str:
    text = truncate(escape(note.text), NOTE_SHOWN_CHARS)
    by = f" _({user_mention(note.author_id)})_" if note.author_id else " _(anonymous)_"
    return f"• {text}{by}"


def action_line(note: RetroNote) -> str:
    text = truncate(escape(note.text), NOTE_SHOWN_CHARS)
    owner = user_mention(note.owner_id) if note.owner_id else "nobody"
    if note.done_at is not None:
        done_by = f" by {user_mention(note.done_by)}" if note.done_by else ""
        return f":white_check_mark: ~{text}~ · {owner} · done{done_by}"
    return f":black_square_button: {text} · {owner}"


def action_block(note: RetroNote) -> Block:
    """One action item; an open one carries the Done button (only its owner may press it)."""
    block = section(action_line(note), block_id=ids.row_block_id(ids.ACTION_ITEM_BLOCK, note.id or 0))
    if note.done_at is None:
        block["accessory"] = done_button(note)
    return block


def _packed(lines: Sequence[str]) -> list[Block]:
    """Lines packed into as few sections as Slack's 3,000 characters per section allow."""
    blocks, current = [], ""
    for line in lines:
        if current and len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def board_message(board: Board) -> Message:
    """The board in the reminder's thread: notes grouped by kind, with counts."""
    blocks: list[Block] = [section(f"*Retro board* · {board.total} notes")]
    for kind in retros.KINDS:
        notes = board.notes.get(kind, [])
        title = f"{ICON[kind]} *{TITLE[kind]}* ({len(notes)})"
        if kind == retros.ACTION_ITEM:
            blocks.append(section(title))
            blocks += [action_block(n) for n in notes[:MAX_ACTIONS]]
            if len(notes) > MAX_ACTIONS:
                blocks.append(context(f"…and {len(notes) - MAX_ACTIONS} more: `/ceremony actions`"))
        else:
            blocks += _packed([title, *(_note_line(n) for n in notes)])
    if len(blocks) > MAX_MESSAGE_BLOCKS - 1:
        blocks = blocks[: MAX_MESSAGE_BLOCKS - 1]
        blocks.append(context("The board is longer than a Slack message; the rest is cut."))
    counts = ", ".join(f"{len(board.notes.get(k, []))} {TITLE[k].lower()}" for k in retros.KINDS)
    return message(f"Retro board: {counts}", blocks)


def carried_blocks(carried: Carried) -> list[Block]:
    """What a retro's reminder opens with: the last retro's action items and their state."""
    if not carried.last and not carried.older_open:
        return []
    blocks: list[Block] = []
    if carried.last:
        done = sum(1 for n in carried.last if n.done_at is not None)
        blocks.append(section(f"*Action items from the last retro* ({done} of {len(carried.last)} done)"))
        blocks += [action_block(n) for n in carried.last[:MAX_ACTIONS]]
    if carried.older_open:
        blocks.append(section(f"*Still open from earlier retros* ({len(carried.older_open)})"))
        blocks += [action_block(n) for n in carried.older_open[: MAX_ACTIONS // 2]]
    return blocks


def actions_list(notes: Sequence[RetroNote], *, mine: bool) -> Message:
    """`/ceremony actions [mine]`: the open action items, each with its Done button."""
    whose = "Your open action items" if mine else "Open action items"
    if not notes:
        empty = "You have no open action items." if mine else "No open action items."
        return message(empty, [section(f"*{whose}*\n{empty}")])
    blocks: list[Block] = [section(f"*{whose}* ({len(notes)})")]
    blocks += [action_block(n) for n in notes[: MAX_MESSAGE_BLOCKS - 2]]
    if len(notes) > MAX_MESSAGE_BLOCKS - 2:
        blocks.append(context(f"…and {len(notes) - (MAX_MESSAGE_BLOCKS - 2)} more."))
    return message(f"{whose}: {len(notes)}", blocks)
