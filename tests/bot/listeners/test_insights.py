"""`/aiteam insights` and App Home's "Team flow" over signed HTTP with the fake Slack, on SQLite
and PostgreSQL: three experiments walked through review by the team, their audit trail then
moved back in time so the figures are known; the private answer; an unknown window refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from storage.db import Database
from storage.models import AuditEvent, Experiment
from storage.types import utcnow
from tests.bot.listeners.review_helpers import OWNER, REVIEWERS, approve_reviews, submit, tick_all
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, all_text
from workflow import vocabulary as v

DAY = timedelta(days=1)


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


def _move(db: Database, number: int, action: str, at: datetime) -> None:
    with db.session() as session:
        experiment = session.exec(
            select(Experiment).where(Experiment.team_id == TEAM_ID, Experiment.number == number)
        ).one()
        session.execute(
            update(AuditEvent)
            .where(col(AuditEvent.experiment_id) == experiment.id, col(AuditEvent.action) == action)
            .values(created_at=at)
        )


def _three_reviewed(team: BotServer) -> None:
    """EXP-1..3 proposed, submitted and reviewed in Slack; then their trail is set so that, for
    EXP-i: proposed → submitted took i days, submitted → reviewed 2·i days; the technical review
    took 1 day, business 12 hours and ethics 1 + i days."""
    for number in (1, 2, 3):
        team.command("/experiment", f"propose Idea {number} improves accuracy", user=OWNER)
        review_ts = submit(team, number)
        tick_all(team, review_ts)
        approve_reviews(team, review_ts, number)
    start = utcnow() - 20 * DAY
    for i in (1, 2, 3):
        submitted = start + i * DAY
        _move(team.db, i, v.AuditAction.PROPOSED, start)
        _move(team.db, i, v.Step.status(v.Status.IN_REVIEW), submitted)
        _move(team.db, i, v.Step.review("technical"), submitted + DAY)
        _move(team.db, i, v.Step.review("business"), submitted + DAY / 2)
        _move(team.db, i, v.Step.review("ethics"), submitted + (1 + i) * DAY)
        _move(team.db, i, v.Step.status(v.Status.REVIEWED), submitted + 2 * i * DAY)


def test_insights_answer_privately_with_the_figures(team: BotServer) -> None:
    _three_reviewed(team)
    reply = team.command("/aiteam", "insights", user="U_STRANGER")
    assert reply.status == 200 and reply.response_type == "ephemeral"
    text = all_text(reply.json()["blocks"])
    assert "*Team flow · last 30 days*" in text
    assert "*3* proposed · *0* closed · none closed" in text
    # Nearest-rank p80 of three samples is the largest.
    assert "• proposed → submitted: median 2 days · 80th pct 3 days (n=3)" in text
    assert "• submitted → reviewed: median 4 days · 80th pct 6 days (n=3)" in text
    assert "• approved → production: not enough data (n=0)" in text
    assert "• technical: median 1 day · 80th pct 1 day (n=3)" in text
    assert "• business: median 12 hours · 80th pct 12 hours (n=3)" in text
    assert "• ethics: median 3 days · 80th pct 4 days (n=3)" in text
    assert "Slowest review: *ethics*, median 3 days." in text
    assert f"Slowest reviewer: <@{REVIEWERS['ethics']}>, median 3 days." in text
    assert "*In progress now:* 3 reviewed" in text
    assert "Waiting longest: *<https://slack.com/archives/C_TEAM/" in text

    # A window that reaches back less far than the proposals still counts what ended inside it.
    assert "*Team flow · all time*" in all_text(team.command("/aiteam", "insights all").json()["blocks"])


def test_an_unknown_window_is_refused_naming_the_windows(team: BotServer) -> None:
    with team.db.read() as session:
        before = len(session.exec(select(AuditEvent)).all())
    reply = team.command("/aiteam", "insights 7d", user=OWNER)
    assert reply.status == 200 and reply.response_type == "ephemeral"
    assert "There is no insights window `7d`" in reply.text
    assert "`30d`, `90d`, `all`" in reply.text
    with team.db.read() as session:
        assert len(session.exec(select(AuditEvent)).all()) == before


def test_app_home_shows_the_team_flow_of_the_last_30_days(team: BotServer) -> None:
    _three_reviewed(team)
    team.event({"type": "app_home_opened", "user": OWNER, "channel": "D1", "tab": "home"})
    call = team.slack.wait_for("views.publish", where=lambda c: c.args["user_id"] == OWNER)[-1]
    view = call.args["view"]
    assert len(view["blocks"]) <= 100
    text = all_text(view["blocks"])
    assert "*Team flow (30 days)*" in text
    assert "3 proposed · 0 closed, 0 reached production · time to production: not enough data (n=0)" in text
    assert "reviews waited 1 day (ethics slowest) · 3 in progress, longest waiting" in text
    assert "`/aiteam insights [30d|90d|all]`" in text
    # It sits between the milestones and the workspace's latest.
    assert text.index("*Team flow (30 days)*") < text.index("*Latest in this workspace*")
