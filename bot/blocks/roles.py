"""The roster of team roles and the answers to role changes."""

from __future__ import annotations

from bot.blocks import Block, Message, context, message, section
from bot.text import user_mention
from workflow.roles import ROLE_GROUPS


def roster_view(held: dict[str, list[str]]) -> Message:
    blocks: list[Block] = [section("*Team roles*")]
    for title, group in ROLE_GROUPS:
        lines = [
            f"`{role}`: " + (", ".join(user_mention(u) for u in held.get(role, [])) or "_nobody_")
            for role in group
        ]
        blocks.append(section(f"*{title}*\n" + "\n".join(lines)))
    blocks.append(
        context("Admins change roles with `/aiteam role add @user <role>` and `/aiteam role remove`.")
    )
    total = sum(len(users) for users in held.values())
    return message(f"Team roles: {total} assignments", blocks)


def role_changed(verb: str, *, user_id: str, role: str, changed: bool) -> str:
    who = user_mention(user_id)
    if verb == "add":
        if not changed:
            return f":information_source: {who} already holds `{role}`."
        return f":white_check_mark: {who} now holds `{role}`."
    return f":white_check_mark: {who} no longer holds `{role}`."
