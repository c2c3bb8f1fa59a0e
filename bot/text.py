"""Text helpers for Slack: escaping what users typed, parsing mentions, truncating to limits."""

from __future__ import annotations

import re

USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#(C[A-Z0-9]+|G[A-Z0-9]+)(?:\|[^>]*)?>$")


def escape(text: str) -> str:
    """Escape user text for mrkdwn so it can never ping, mention or disguise a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Never leave half an escape sequence (`&am`) at the end.
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def user_mention(user_id: str) -> str:
    return f"<@{user_id}>"


def channel_mention(channel_id: str) -> str:
    return f"<#{channel_id}>"


def parse_user(token: str) -> str | None:
    """`<@U123>` or `<@U123|name>` → `U123`; anything else → None."""
    match = USER_MENTION.match(token.strip())
    return match.group(1) if match else None


def parse_channel(token: str) -> str | None:
    """`<#C123|name>` or `<#C123|>` → `C123`; anything else → None."""
    match = CHANNEL_MENTION.match(token.strip())
    return match.group(1) if match else None
