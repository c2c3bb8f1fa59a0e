"""The App Home tab: what is waiting on the person who opens it, and their experiments."""

from __future__ import annotations

from bot import ids
from tests.harness import BotServer, all_text
from tests.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    REVIEWERS,
    SIGNERS,
    reviewed_experiment,
    submit,
)


def _home(bot: BotServer, user: str) -> str:
    bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    call = bot.slack.wait_for("views.publish", where=lambda c: c.args["user_id"] == user)[-1]
    view = call.args["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = all_text(view["blocks"])
    bot.slack.calls.clear()
    return text.split("*Your open experiments*")[0].split("*Waiting on you*")[1]


def test_reviewers_see_the_reviews_they_may_give(team: BotServer) -> None:
    team.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(team)
    assert "technical review" in _home(team, REVIEWERS["technical"])
    assert "ethics review" not in _home(team, REVIEWERS["technical"])
    # The owner is never asked to review their own experiment.
    assert "Nothing is waiting on you" in _home(team, OWNER)

    team.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["technical"], value="1:technical")
    assert "Nothing is waiting on you" in _home(team, REVIEWERS["technical"])


def test_owner_and_approvers_see_their_next_steps(team: BotServer) -> None:
    reviewed_experiment(team)
    assert "reviewed: promote it" in _home(team, OWNER)
    assert "Nothing is waiting on you" in _home(team, SIGNERS["security"])
    team.command("/experiment", "promote EXP-1", user=OWNER)
    assert "sign-off as security" in _home(team, SIGNERS["security"])
    assert "sign-off as technical_lead" not in _home(team, SIGNERS["security"])
