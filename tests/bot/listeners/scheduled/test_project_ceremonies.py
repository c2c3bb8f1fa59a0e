"""Projects in the team's ceremonies, end to end over signed HTTP with the fake Slack, on SQLite and
PostgreSQL: the standup reminder lists the milestones of its channel's projects that are overdue
or due in the next 2 days, and the experiment review has a line per active project."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot import ids
from storage.types import utcnow
from tests.bot.listeners.scheduled import Tick
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, all_text
from workflow import ceremonies, projects

CHANNEL = "C0TEAM"
OTHER = "C0OTHER"


def _today() -> date:
    """Today, reckoned when asked: a date taken at import goes stale when the run crosses midnight."""
    return utcnow().date()


def _due() -> datetime:
    """The ceremonies' time today: milestones can only be added for today or later, so the pass
    runs on the real date."""
    return datetime.combine(_today(), time(9, 30), UTC)


def _day(days: int) -> str:
    return (_today() + timedelta(days=days)).isoformat()


def _ceremony(bot: BotServer, name: str, kind: str, channel: str) -> None:
    with bot.db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="UANA",
            name=name,
            channel_id=channel,
            schedule_tokens=["daily", "09:30", "UTC"],
            default_timezone="UTC",
            now=_due() - timedelta(days=1),
        )
        ceremony = ceremonies.get(session, team_id=TEAM_ID, name=name)
        ceremony.kind = kind
        session.add(ceremony)


def _ok(reply: object) -> None:
    assert ":white_check_mark:" in reply.text, reply.text  # type: ignore[attr-defined]


def _reminder(bot: BotServer, channel: str, marker: str) -> str:
    (found,) = [
        m
        for (where, _), m in bot.slack.messages.items()
        if where == channel and not m.get("thread_ts") and marker in json.dumps(m.get("blocks"))
    ]
    return all_text(found["blocks"])


@pytest.fixture
def plan(bot: BotServer) -> None:
    """Two projects with their cards in the team channel, one elsewhere, milestones at all distances."""
    for user in ("UANA", "UBEN"):
        bot.slack.add_user(user)
    bot.slack.add_channel(CHANNEL, "team", members=["UANA", "UBEN"])
    bot.slack.add_channel(OTHER, "other", members=["UANA"])
    _ok(bot.command("/project", "create support-bot", user="UANA", channel=CHANNEL))
    _ok(bot.command("/project", "create fraud-model production", user="UANA", channel=CHANNEL))
    _ok(bot.command("/project", "create elsewhere", user="UANA", channel=OTHER))
    for name, due, title in [
        ("support-bot", _day(1), "Pilot with support team"),
        ("support-bot", _day(5), "Launch"),  # beyond 2 days: not in the standup
        ("fraud-model", _day(2), "Shadow traffic"),
        ("fraud-model", _day(0), "Already done"),
        ("elsewhere", _day(1), "Not this channel"),
    ]:
        reply = bot.command("/project", f"milestone add {name} {due} {title}", user="UANA", channel=CHANNEL)
        assert "added" in reply.text, reply.text
    _ok(bot.command("/project", "milestone done fraud-model M2", user="UANA", channel=CHANNEL))
    with bot.db.session() as session:  # one that passed its date last week
        projects.add_milestone(
            session,
            team_id=TEAM_ID,
            actor_id="UANA",
            name="support-bot",
            due=_day(-3),
            title="Data audit",
            today=_today() - timedelta(days=10),
        )
    _ok(bot.command("/experiment", "propose Retrieval improves answers", user="UANA", channel=CHANNEL))
    _ok(bot.command("/experiment", "propose Smaller model is as good", user="UANA", channel=CHANNEL))
    _ok(bot.command("/project", "link support-bot EXP-1", user="UANA", channel=CHANNEL))
    _ok(bot.command("/project", "link support-bot EXP-2", user="UANA", channel=CHANNEL))
    _ok(
        bot.command(
            "/experiment", "submit EXP-2 eval: https://wandb.example/run/1", user="UANA", channel=CHANNEL
        )
    )


def test_the_standup_reminder_lists_milestones_overdue_or_due_in_the_next_two_days(
    bot: BotServer, tick: Tick, plan: None
) -> None:
    _ceremony(bot, "standup", ceremonies.STANDUP, CHANNEL)
    tick(_due())
    text = _reminder(bot, CHANNEL, ids.SHARE_UPDATE)
    assert "Milestones overdue or due in the next 2 days" in text
    assert "support-bot* M1 Pilot with support team" in text and "due tomorrow" in text
    assert "fraud-model* M1 Shadow traffic" in text and "due in 2 days" in text
    assert "support-bot* M3 Data audit" in text and "overdue* by 3 days" in text
    assert text.index("Data audit") < text.index("Pilot") < text.index("Shadow traffic"), "soonest first"
    for absent in ("Launch", "Already done", "Not this channel"):
        assert absent not in text
    assert ids.SHARE_UPDATE in json.dumps(
        [m for (c, _), m in bot.slack.messages.items() if c == CHANNEL and "Data audit" in json.dumps(m)]
    ), "the Share my update button stays"


def test_a_standup_in_a_channel_without_projects_lists_no_milestones(
    bot: BotServer, tick: Tick, plan: None
) -> None:
    bot.slack.add_channel("C0QUIET", "quiet", members=["UANA"])
    _ceremony(bot, "quiet-standup", ceremonies.STANDUP, "C0QUIET")
    tick(_due())
    text = _reminder(bot, "C0QUIET", ids.SHARE_UPDATE)
    assert "Milestones" not in text


def test_the_experiment_review_has_a_line_per_active_project(bot: BotServer, tick: Tick, plan: None) -> None:
    _ok(bot.command("/project", "create old-idea", user="UANA", channel=CHANNEL))
    _ok(bot.command("/project", "archive old-idea", user="UANA", channel=CHANNEL))
    _ceremony(bot, "review", ceremonies.EXPERIMENT_REVIEW, CHANNEL)
    tick(_due())
    text = _reminder(bot, CHANNEL, "Projects")
    assert "*Projects* (3)" in text
    (support,) = [line for line in text.splitlines() if "*support-bot*" in line]
    assert "1 proposed, 1 in review" in support
    assert 'next milestone M3 "Data audit" overdue by 3 days' in support
    (fraud,) = [line for line in text.splitlines() if "*fraud-model*" in line]
    assert "no experiments linked" in fraud and 'next milestone M1 "Shadow traffic" in 2 days' in fraud
    assert "old-idea" not in text, "archived projects leave the reminders"
