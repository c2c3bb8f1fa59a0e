"""The whole path through Slack: propose, submit, checklist, reviews, promote, sign-offs, production.

Every click is built from the blocks the bot actually posted to the fake Slack.
"""

from __future__ import annotations

import re

from bot import ids
from tests.bot.listeners.review_helpers import (
    ADMIN,
    CHANNEL,
    OWNER,
    REVIEWERS,
    SIGNERS,
    approve_reviews,
    card_text,
    card_ts,
    submit,
    thread_reply,
    tick_all,
)
from tests.harness import BotServer, all_text


def test_full_path_to_production(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    card = card_ts(bot)

    review_ts = submit(bot)
    _, review = thread_reply(bot, "up for review")
    assert review["thread_ts"] == card
    shown = all_text(review["blocks"])
    assert "flip flag rag_v2 off" in shown
    for label in (
        "Model performance meets threshold",
        "Safety evaluation passed",
        "Cost projection acceptable",
        "Documentation complete",
        "Rollback plan defined",
    ):
        assert label in shown
    assert "in review" in card_text(bot)

    tick_all(bot, review_ts)
    ticked = bot.slack.message(CHANNEL, review_ts)["blocks"]
    checklist = next(b for b in ticked if b.get("block_id", "").startswith("checklist:"))
    assert len(checklist["accessory"]["initial_options"]) == 5

    approve_reviews(bot, review_ts)
    text = card_text(bot)
    assert "EXP-1 · reviewed" in text
    for kind, user in REVIEWERS.items():
        assert f"{kind.capitalize()}: :large_green_circle: approved by <@{user}>" in text
    # Decided reviews lose their buttons.
    assert ids.REVIEW_APPROVE not in str(bot.slack.message(CHANNEL, review_ts)["blocks"])

    reply = bot.command("/experiment", "promote EXP-1", user=OWNER)
    assert "sign-off" in reply.text
    signoff_ts, signoff = thread_reply(bot, "ready for production")
    assert signoff["thread_ts"] == card
    assert "approved, awaiting sign-off" in card_text(bot)

    for role, user in SIGNERS.items():
        bot.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=user, value=f"1:{role}")

    text = card_text(bot)
    assert "EXP-1 · production" in text
    for user in SIGNERS.values():
        assert f"<@{user}>" in text
    plans = [m for m in bot.slack.thread(CHANNEL, card) if "is in production" in all_text(m["blocks"])]
    assert len(plans) == 1
    plan = all_text(plans[0]["blocks"])
    assert "Staged rollout" in plan and "5% of traffic" in plan
    assert "flip flag rag_v2 off" in plan
    assert f"<@{OWNER}>" in plan and f"<#{CHANNEL}>" in plan
    assert "Post-launch review on" in plan
    # The sign-off message is closed: no buttons left to click.
    assert ids.SIGNOFF_APPROVE not in str(bot.slack.message(CHANNEL, signoff_ts)["blocks"])

    history = bot.command("/experiment", "history EXP-1", user="U_STRANGER")
    trail = all_text(history.json()["blocks"])
    for expected in (
        "proposed",
        "moved to in review",
        "checklist",
        "technical review",
        "moved to reviewed",
        "moved to approved",
        "signed off as security",
        "moved to production",
    ):
        assert expected in trail
    for user in (OWNER, *REVIEWERS.values(), *SIGNERS.values()):
        assert f"<@{user}>" in trail
    # Each of the three reviews and three sign-offs names the evidence it was made on.
    decided_on = re.findall(r"(review|signed off as \w+)[^\n]* · evidence `([0-9a-f]{12})`", trail)
    assert len(decided_on) == 6, trail


def test_metrics_feed_the_monitoring_plan(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    reply = bot.command("/experiment", "metric EXP-1 accuracy=0.91 latency_ms=420", user=OWNER)
    assert "`accuracy` = 0.91" in reply.text and "`latency_ms` = 420" in reply.text
    review_ts = submit(bot)
    tick_all(bot, review_ts)
    approve_reviews(bot, review_ts)
    bot.command("/experiment", "promote EXP-1", user=OWNER)
    signoff_ts, _ = thread_reply(bot, "ready for production")
    for role, user in SIGNERS.items():
        bot.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=user, value=f"1:{role}")
    _, plan = thread_reply(bot, "is in production")
    text = all_text(plan["blocks"])
    assert "`accuracy`: recorded 0.91, alert if below 0.819" in text
    assert "`latency_ms`: recorded 420, alert if above 462" in text


def test_promote_too_early_names_exactly_what_is_missing(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    bot.toggle(CHANNEL, review_ts, ids.CHECKLIST, "documentation", user=OWNER)
    bot.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["ethics"], value="1:ethics")
    updates_before = len(bot.slack.calls_to("chat.update"))

    reply = bot.command("/experiment", "promote EXP-1", user=OWNER)

    assert reply.response_type == "ephemeral"
    text = reply.text
    assert "can't be promoted yet" in text
    for missing in (
        "technical review (pending)",
        "business review (pending)",
        "checklist: Model performance meets threshold",
        "checklist: Safety evaluation passed",
        "checklist: Cost projection acceptable",
        "checklist: Rollback plan defined",
        "sign-off from technical_lead",
        "sign-off from product_owner",
        "sign-off from security",
    ):
        assert missing in text
    assert "ethics review" not in text and "Documentation complete" not in text
    assert len(bot.slack.calls_to("chat.update")) == updates_before
    assert "in review" in card_text(bot)


def test_request_changes_asks_why_posts_it_and_resubmit_reopens(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    bot.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["technical"], value="1:technical")
    bot.click(CHANNEL, review_ts, ids.REVIEW_REQUEST_CHANGES, user=REVIEWERS["ethics"], value="1:ethics")

    modal = bot.slack.wait_for("views.open")[-1].args["view"]
    assert modal["callback_id"] == ids.REASON_MODAL
    assert modal["blocks"][0]["label"]["text"] == "What should the owner change in EXP-1 (ethics review)?"
    # An empty reason keeps the modal open with an error under the field.
    empty = bot.submit_view(
        modal, {ids.REASON_BLOCK: {ids.REASON_INPUT: {"value": "  "}}}, user=REVIEWERS["ethics"]
    )
    assert empty.json()["response_action"] == "errors"
    assert "in review" in card_text(bot)

    reason = "Bias eval missing for <!channel> non-English users"
    done = bot.submit_view(
        modal, {ids.REASON_BLOCK: {ids.REASON_INPUT: {"value": reason}}}, user=REVIEWERS["ethics"]
    )
    assert done.status == 200 and not done.body
    _, notice = thread_reply(bot, "requested changes")
    text = all_text(notice["blocks"])
    assert "Bias eval missing for &lt;!channel&gt; non-English users" in text
    assert "<!channel>" not in text
    assert "changes requested" in card_text(bot)

    reply = bot.command("/experiment", "submit EXP-1 eval v2 https://wandb.example/run/43", user=OWNER)
    assert "Submitted" in reply.text
    thread_reply(bot, "resubmitted")
    review = all_text(bot.slack.message(CHANNEL, review_ts)["blocks"])
    assert "eval v2" in review
    # The technical approval was made on the old artifacts: it went stale and is asked again.
    assert "Technical review*: :white_circle: pending · :warning: _approval went stale" in review
    assert "Ethics review*: :white_circle: pending" in review
    assert "in review" in card_text(bot)
    _, stale = thread_reply(bot, "no longer count")
    assert f"<@{REVIEWERS['technical']}>" in all_text(stale["blocks"])


def test_reject_closes_the_experiment(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    bot.click(CHANNEL, review_ts, ids.REVIEW_REJECT, user=REVIEWERS["business"], value="1:business")
    modal = bot.slack.wait_for("views.open")[-1].args["view"]
    bot.submit_view(
        modal,
        {ids.REASON_BLOCK: {ids.REASON_INPUT: {"value": "No business case"}}},
        user=REVIEWERS["business"],
    )
    assert "EXP-1 · rejected" in card_text(bot)
    thread_reply(bot, "rejected EXP-1")
    assert "was rejected" in bot.command("/experiment", "promote EXP-1", user=OWNER).text


def test_withdraw_by_owner_only(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    refused = bot.command("/experiment", "withdraw EXP-1", user="U_STRANGER")
    assert "Only the owner of EXP-1" in refused.text
    assert "proposed" in card_text(bot)
    reply = bot.command("/experiment", "withdraw EXP-1 superseded by EXP-2", user=OWNER)
    assert "Withdrew" in reply.text
    assert "EXP-1 · withdrawn" in card_text(bot)
    history = all_text(bot.command("/experiment", "history EXP-1").json()["blocks"])
    assert "superseded by EXP-2" in history


def test_anyone_may_see_who_holds_which_role(team: BotServer) -> None:
    reply = team.command("/aiteam", "roles", user="U_STRANGER")
    text = all_text(reply.json()["blocks"])
    assert f"`technical_lead`: <@{SIGNERS['technical_lead']}>" in text
    assert "`admin`: _nobody_" in text
    assert ADMIN not in text
