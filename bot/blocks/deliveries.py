"""What the bot could not deliver, said where the people who can fix it look."""

from __future__ import annotations

from bot.blocks import Block, section
from bot.delivery.failures import explain
from bot.text import channel_mention, escape
from workflow.delivery import Problem


def problem_block(p: Problem) -> Block:
    row = p.delivery
    where = f" to {channel_mention(row.channel_id)}" if row.channel_id else ""
    why = explain(row.last_error or "unknown_error")
    return section(
        f":warning: I couldn't deliver {escape(p.what)}{where}: {why}. "
        f"Once that is fixed, the next change to it shows it again, or an admin can run "
        f"`python -m bot deliveries retry {row.id}`."
    )
