"""The owner is told in a DM what happens to their experiment: not about their own steps, not
when they turned it off, not when they are away. Over signed HTTP with the fake Slack."""

from __future__ import annotations

from bot import ids
from tests.bot.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    REVIEWERS,
    SIGNERS,
    approve_reviews,
    submit,
    thread_reply,
    tick_all,
)
from tests.harness import BotServer, all_text

OWNER_DM = f"D{OWNER}"


def _dms(bot: BotServer) -> list[str]:
    """The texts of what the bot posted into the owner's DM, oldest first."""
    return [
        all_text(c.args.get("blocks"))
        for c in bot.slack.calls_to("chat.postMessage")
        if c.args["channel"] == OWNER_DM
    ]


def _request_changes(bot: BotServer, review_ts: str, reason: str = "Add the subgroup eval") -> None:
    bot.click(CHANNEL, review_ts, ids.REVIEW_REQUEST_CHANGES, user=REVIEWERS["ethics"], value="1:ethics")
    modal = bot.slack.wait_for("views.open")[-1].args["view"]
    bot.submit_view(
        modal, {ids.REASON_BLOCK: {ids.REASON_INPUT: {"value": reason}}}, user=REVIEWERS["ethics"]
    )
    bot.settle()


def test_the_owner_hears_of_each_step_others_take_and_not_of_their_own(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    bot.command("/experiment", "metric EXP-1 accuracy=0.91", user=OWNER)
    tick_all(bot, review_ts)
    bot.settle()
    assert _dms(bot) == []  # everything so far was the owner's own doing

    _request_changes(bot, review_ts)
    (changes,) = _dms(bot)
    assert f"<@{REVIEWERS['ethics']}> requested changes to *EXP-1*" in changes
    assert "ethics review: Add the subgroup eval" in changes and "/aiteam notify off" in changes

    bot.command("/experiment", "submit EXP-1 eval v2 https://wandb.example/run/43", user=OWNER)
    approve_reviews(bot, review_ts)
    bot.settle()
    assert "is reviewed" in _dms(bot)[-1]

    bot.command("/experiment", "promote EXP-1", user=OWNER)
    bot.settle()
    signoff_ts, _ = thread_reply(bot, "ready for production")
    for role, user in SIGNERS.items():
        bot.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=user, value=f"1:{role}")
    bot.settle()
    assert "is in production" in _dms(bot)[-1]
    assert len(_dms(bot)) == 3


def test_notify_off_and_away_mean_no_dm(team: BotServer) -> None:
    bot = team
    reply = bot.command("/aiteam", "notify off", user=OWNER)
    assert "are off" in reply.text
    assert "already off" in bot.command("/aiteam", "notify off", user=OWNER).text
    assert "Say `/aiteam notify off`" in bot.command("/aiteam", "notify maybe", user=OWNER).text
    bot.settle()
    home = bot.slack.calls_to("views.publish")[-1].args["view"]
    assert "DMs about your experiments are off" in all_text(home["blocks"])

    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    _request_changes(bot, review_ts)
    assert _dms(bot) == []

    bot.command("/aiteam", "notify on", user=OWNER)
    bot.command("/aiteam", "away", user=OWNER)
    bot.command("/experiment", "submit EXP-1 eval v2", user=OWNER)
    _request_changes(bot, review_ts, reason="Still missing")
    assert _dms(bot) == []  # away today

    bot.command("/aiteam", "back", user=OWNER)
    bot.command("/experiment", "submit EXP-1 eval v3", user=OWNER)
    _request_changes(bot, review_ts, reason="One more")
    assert len(_dms(bot)) == 1 and "One more" in _dms(bot)[0]
