"""Building a team and walking an experiment through review, as Slack users would."""

from __future__ import annotations

from typing import Any

from bot import ids
from tests.harness import BotServer, all_text

CHANNEL = "C_TEAM"
OWNER = "U_OWNER"
ADMIN = "UADMIN"
REVIEWERS = {"technical": "UTECH", "ethics": "UETHICS", "business": "UBIZ"}
SIGNERS = {"technical_lead": "ULEAD", "product_owner": "UPRODUCT", "security": "USEC"}
ARTIFACTS = (
    "eval: https://wandb.example/run/42 rollback: flip flag rag_v2 off; model card https://docs.example/mc"
)


def build_team(bot: BotServer) -> None:
    """People in the fake workspace, and their roles granted through `/aiteam` by an admin."""
    bot.slack.add_user(ADMIN, is_admin=True)
    for user in (OWNER, "U_STRANGER", *REVIEWERS.values(), *SIGNERS.values()):
        bot.slack.add_user(user)
    grants = [(user, f"{kind}_reviewer") for kind, user in REVIEWERS.items()]
    grants += [(user, role) for role, user in SIGNERS.items()]
    for user, role in grants:
        reply = bot.command("/aiteam", f"role add <@{user}|{user.lower()}> {role}", user=ADMIN)
        assert "now holds" in reply.text, reply.text


def card_ts(bot: BotServer, number: int = 1) -> str:
    for (channel, ts), message in bot.slack.messages.items():
        if (
            channel == CHANNEL
            and "thread_ts" not in message
            and f"EXP-{number} ·" in all_text(message["blocks"])
        ):
            return ts
    raise AssertionError(f"no card for EXP-{number}")


def thread_reply(bot: BotServer, containing: str, number: int = 1) -> tuple[str, dict[str, Any]]:
    """The bot's reply in the card's thread whose text contains `containing`."""
    for message in bot.slack.thread(CHANNEL, card_ts(bot, number)):
        if containing in all_text(message.get("blocks")) + message.get("text", ""):
            return message["ts"], message
    raise AssertionError(f"no thread reply containing {containing!r}")


def card_text(bot: BotServer, number: int = 1) -> str:
    return all_text(bot.slack.message(CHANNEL, card_ts(bot, number))["blocks"])


def ephemerals(bot: BotServer) -> list[str]:
    """Texts the bot answered through response_url, oldest first."""
    return [c.args.get("text", "") for c in bot.slack.calls_to("response_url")]


def submit(bot: BotServer, number: int = 1) -> str:
    reply = bot.command("/experiment", f"submit EXP-{number} {ARTIFACTS}", user=OWNER)
    assert "Submitted" in reply.text, reply.text
    return thread_reply(bot, "up for review", number)[0]


def tick_all(bot: BotServer, review_ts: str) -> None:
    for key in (
        "model_performance",
        "safety_evaluation",
        "cost_projection",
        "documentation",
        "rollback_plan",
    ):
        bot.toggle(CHANNEL, review_ts, ids.CHECKLIST, key, user=OWNER)


def approve_reviews(bot: BotServer, review_ts: str, number: int = 1) -> None:
    for kind, user in REVIEWERS.items():
        bot.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=user, value=f"{number}:{kind}")


def reviewed_experiment(bot: BotServer) -> str:
    """EXP-1 proposed, submitted, ticked and approved by all three reviewers; returns the review ts."""
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    tick_all(bot, review_ts)
    approve_reviews(bot, review_ts)
    return review_ts
