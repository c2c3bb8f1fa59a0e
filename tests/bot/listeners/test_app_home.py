"""The App Home tab: what is waiting on the person who opens it, and their experiments."""

from __future__ import annotations

from datetime import timedelta

from bot import ids
from storage.types import utcnow
from tests.bot.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    REVIEWERS,
    SIGNERS,
    reviewed_experiment,
    submit,
)
from tests.harness import BotServer, all_text


def _whole_home(bot: BotServer, user: str) -> str:
    bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    call = bot.slack.wait_for("views.publish", where=lambda c: c.args["user_id"] == user)[-1]
    view = call.args["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    bot.slack.calls.clear()
    return all_text(view["blocks"])


def _home(bot: BotServer, user: str) -> str:
    return _whole_home(bot, user).split("*Your open experiments*")[0].split("*Waiting on you*")[1]


def _between(text: str, start: str, end: str) -> str:
    return text.split(start)[1].split(end)[0]


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


def test_members_see_their_projects_and_their_milestones_due_in_the_next_14_days(team: BotServer) -> None:
    def day(days: int) -> str:
        return (utcnow().date() + timedelta(days=days)).isoformat()

    team.command("/project", "create support-bot", user=OWNER)
    team.command("/project", "member add support-bot <@UTECH>", user=OWNER)
    team.command("/project", f"milestone add support-bot {day(3)} Pilot with support team", user=OWNER)
    team.command("/project", f"milestone add support-bot {day(20)} Launch", user=OWNER)
    team.command("/project", "create fraud-model production", user="UBIZ")
    team.command("/project", f"milestone add fraud-model {day(1)} Shadow traffic", user="UBIZ")

    text = _whole_home(team, "UTECH")
    projects = _between(text, "*Your projects*", "*Milestones due in the next 14 days*")
    assert "support-bot* · experimentation" in projects
    assert 'next milestone M1 "Pilot with support team" in 3 days' in projects
    assert "fraud-model" not in projects, "only the projects they are a member of"
    due = _between(text, "*Milestones due in the next 14 days*", "*Latest in this workspace*")
    assert "support-bot* M1 Pilot with support team" in due and "due in 3 days" in due
    assert "Launch" not in due and "Shadow traffic" not in due

    text = _whole_home(team, "U_STRANGER")
    assert "None yet. `/project create <name>` starts one" in text
    assert "None in your projects." in text
