"""Block Kit builders: pure functions from domain objects to message and view payloads."""

from typing import Any

from bot.text import truncate

Block = dict[str, Any]
Message = dict[str, Any]  # {"text": fallback, "blocks": [...]}: what chat.postMessage/update take

MAX_MESSAGE_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FALLBACK_TEXT = 3900


def section(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}}
    if block_id:
        block["block_id"] = block_id
    return block


def fields(*texts: str) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": truncate(t, MAX_FIELD_TEXT)} for t in texts[:10]],
    }


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts[:10]]}


def header(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "header", "text": {"type": "plain_text", "text": truncate(text, 150)}}
    if block_id:
        block["block_id"] = block_id
    return block


def divider() -> Block:
    return {"type": "divider"}


def message(text: str, blocks: list[Block]) -> Message:
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks; Slack takes at most {MAX_MESSAGE_BLOCKS} in a message")
    return {"text": truncate(text, MAX_FALLBACK_TEXT), "blocks": blocks}
