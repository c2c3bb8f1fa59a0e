"""The card the baselines post: roughly the bot's for a proposed experiment."""

from __future__ import annotations

from typing import Any


def card(number: int, hypothesis: str, owner: str) -> list[dict[str, Any]]:
    """Roughly the bot's card: header, hypothesis, fields, reviews, context."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"EXP-{number} · proposed"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Hypothesis*\n{hypothesis}"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Owner*\n<@{owner}>"},
                {"type": "mrkdwn", "text": "*Status*\n:seedling: proposed"},
                {"type": "mrkdwn", "text": "*Workstream*\nexperimentation"},
                {"type": "mrkdwn", "text": "*Timeline*\n~2 weeks"},
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Required reviews*\nTechnical: pending\nEthics: pending\nBusiness: pending",
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"Proposed by <@{owner}> · `/experiment show EXP-{number}`"}
            ],
        },
    ]
