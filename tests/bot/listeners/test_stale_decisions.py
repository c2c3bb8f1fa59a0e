"""Decisions that go stale when the evidence changes, as the team sees it in Slack: the thread
tells the people who decided, the card marks the stale reviews, the sign-off request closes and a
stale copy of its buttons changes nothing. Over signed HTTP with the fake Slack, both databases."""

from __future__ import annotations

import copy
from typing import Any

from bot import ids
from tests.bot.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    REVIEWERS,
    SIGNERS,
    approve_reviews,
    card_text,
    ephemerals,
    submit,
    thread_reply,
    tick_all,
)
from tests.harness import BotServer, all_text


def _security_clicks_old_copy(bot: BotServer, signoff_ts: str, stale_copy: dict[str, Any]) -> None:
    """Security clicks Approve on a copy of the sign-off request as it was before it closed."""
    payload = bot.click_payload(
        CHANNEL,
        signoff_ts,
        ids.SIGNOFF_APPROVE,
        user=SIGNERS["security"],
        value="1:security",
        message=stale_copy,
    )
    bot.interact(payload)


def _reviewed_with_metric(bot: BotServer) -> str:
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    bot.command("/experiment", "metric EXP-1 accuracy=0.91", user=OWNER)
    tick_all(bot, review_ts)
    approve_reviews(bot, review_ts)
    bot.settle()
    assert "EXP-1 · reviewed" in card_text(bot)
    return review_ts


def test_a_changed_metric_reopens_the_reviews_and_tells_the_reviewers_once(team: BotServer) -> None:
    bot = team
    review_ts = _reviewed_with_metric(bot)
    reply = bot.command("/experiment", "metric EXP-1 accuracy=0.84", user=OWNER)
    assert "made earlier decisions stale" in reply.text and "accuracy 0.91 → 0.84" in reply.text
    bot.settle()
    card = card_text(bot)
    assert "EXP-1 · in review" in card
    assert card.count("approval went stale, the evidence changed (accuracy 0.91 → 0.84)") == 3
    _, notice = thread_reply(bot, "no longer count")
    text = all_text(notice["blocks"])
    for reviewer in REVIEWERS.values():
        assert text.count(f"<@{reviewer}>") == 1
    # The review message offers the buttons again, and approving again clears the marks.
    review = all_text(bot.slack.message(CHANNEL, review_ts)["blocks"])
    assert "approval went stale" in review
    approve_reviews(bot, review_ts)
    bot.settle()
    assert "EXP-1 · reviewed" in card_text(bot) and "went stale" not in card_text(bot)
    # Recording the same value again changes nothing.
    bot.command("/experiment", "metric EXP-1 accuracy=0.84", user=OWNER)
    bot.settle()
    assert "EXP-1 · reviewed" in card_text(bot)


def test_a_stale_sign_off_closes_the_request_and_promote_asks_all_three_again(team: BotServer) -> None:
    bot = team
    review_ts = _reviewed_with_metric(bot)
    bot.command("/experiment", "promote EXP-1", user=OWNER)
    bot.settle()
    signoff_ts, _ = thread_reply(bot, "ready for production")
    lead = SIGNERS["technical_lead"]
    bot.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=lead, value="1:technical_lead")
    bot.settle()
    stale_copy = copy.deepcopy(bot.slack.message(CHANNEL, signoff_ts))

    bot.command("/experiment", "metric EXP-1 accuracy=0.84", user=OWNER)
    bot.settle()
    closed = bot.slack.message(CHANNEL, signoff_ts)
    assert ids.SIGNOFF_APPROVE not in str(closed["blocks"])
    assert "Sign-off closed: the evidence changed (accuracy 0.91 → 0.84)" in all_text(closed["blocks"])
    assert "EXP-1 · in review" in card_text(bot)
    assert "the sign-off request closed: the evidence changed (accuracy 0.91 → 0.84)" in card_text(bot)
    # A click on a copy of the old buttons changes nothing and says why.
    _security_clicks_old_copy(bot, signoff_ts, stale_copy)
    bot.settle()
    assert "EXP-1 is in review" in ephemerals(bot)[-1]
    assert "EXP-1 · in review" in card_text(bot)

    approve_reviews(bot, review_ts)
    bot.command("/experiment", "promote EXP-1", user=OWNER)
    bot.settle()
    requests = [m for m in bot.slack.thread(CHANNEL, thread_reply(bot, "up for review")[1]["thread_ts"])]
    asks = [m for m in requests if "ready for production" in all_text(m["blocks"])]
    assert len(asks) == 2 and asks[0]["ts"] == signoff_ts  # the old one stays closed
    new_ts = asks[1]["ts"]
    # The old request's buttons, clicked from a copy while the new request is open, change nothing.
    _security_clicks_old_copy(bot, signoff_ts, stale_copy)
    bot.settle()
    assert "That sign-off request for EXP-1 closed" in ephemerals(bot)[-1]
    assert "<@USEC>" not in all_text(bot.slack.message(CHANNEL, new_ts)["blocks"])
    for role, user in SIGNERS.items():
        bot.click(CHANNEL, new_ts, ids.SIGNOFF_APPROVE, user=user, value=f"1:{role}")
    bot.settle()
    assert "EXP-1 · production" in card_text(bot)
