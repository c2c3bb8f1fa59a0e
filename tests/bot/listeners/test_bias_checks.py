"""Bias checks end to end over signed HTTP with the fake Slack, on SQLite and PostgreSQL: only
ethics reviewers record them, REQUIRE_BIAS_CHECK both ways, and the ethics reminder lists the
submitted experiments that have none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot import ids
from bot.scheduler import run_once
from storage.db import Database
from storage.models import BiasCheck
from storage.types import utcnow
from tests.bot.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    REVIEWERS,
    card_text,
    ephemerals,
    submit,
    thread_reply,
)
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, Response, all_text
from workflow import ceremonies

ETHICS = REVIEWERS["ethics"]


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


def _stored(bot: BotServer) -> list[BiasCheck]:
    with bot.db.read() as session:
        return list(session.exec(select(BiasCheck)).all())


def _open(bot: BotServer, review_ts: str, user: str) -> dict | None:
    before = len(bot.slack.calls_to("views.open"))
    bot.click(CHANNEL, review_ts, ids.RECORD_BIAS_CHECK, user=user)
    opened = bot.slack.calls_to("views.open")[before:]
    return opened[-1].args["view"] if opened else None


def _fill(
    bot: BotServer,
    view: dict,
    *,
    checks: tuple[str, ...] = ("subgroup_performance", "fairness_metric"),
    data: str = "eval-v3 non-English slice",
    findings: str = "Recall 4 points lower for es-MX",
    result: str | None = "passed",
    user: str = ETHICS,
) -> Response:
    def option(value: str) -> dict:
        return {"text": {"type": "plain_text", "text": value}, "value": value}

    values = {
        ids.BIAS_CHECKS_BLOCK: {ids.CHOICE_INPUT: {"selected_options": [option(c) for c in checks]}},
        ids.BIAS_DATA_BLOCK: {ids.TEXT_INPUT: {"value": data}},
        ids.BIAS_FINDINGS_BLOCK: {ids.TEXT_INPUT: {"value": findings}},
        ids.BIAS_RESULT_BLOCK: {ids.CHOICE_INPUT: {"selected_option": option(result) if result else None}},
    }
    return bot.submit_view(view, values, user=user)


def _review_text(bot: BotServer, review_ts: str) -> str:
    return all_text(bot.slack.message(CHANNEL, review_ts)["blocks"])


def test_a_bias_check_is_recorded_only_by_an_ethics_reviewer(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    assert "Record bias checks" in _review_text(bot, review_ts)

    for user in (OWNER, REVIEWERS["technical"], "U_STRANGER"):
        assert _open(bot, review_ts, user) is None
        assert "`ethics_reviewer`" in ephemerals(bot)[-1]
    view = _open(bot, review_ts, ETHICS)
    assert view is not None and view["callback_id"] == ids.BIAS_CHECK_MODAL

    refused = _fill(bot, view, checks=(), data=" ", result=None)
    errors = refused.json()["errors"]
    assert set(errors) == {ids.BIAS_CHECKS_BLOCK, ids.BIAS_DATA_BLOCK, ids.BIAS_RESULT_BLOCK}
    # Someone who lost (or never had) the role can't submit a modal they got hold of either.
    stolen = _fill(bot, view, user="U_STRANGER")
    assert "`ethics_reviewer`" in stolen.json()["errors"][ids.BIAS_CHECKS_BLOCK]
    assert _stored(bot) == []

    done = _fill(bot, view)
    assert done.status == 200 and not done.body
    bot.delivered()
    [check] = _stored(bot)
    assert (check.reviewer_id, check.result) == (ETHICS, "passed")
    _, posted = thread_reply(bot, "recorded bias checks")
    assert "Subgroup performance, Fairness metric" in all_text(posted["blocks"])
    review = _review_text(bot, review_ts)
    assert "Bias checks* (1)" in review and "eval-v3 non-English slice" in review
    show = all_text(bot.command("/experiment", "show EXP-1", user=OWNER).json()["blocks"])
    assert "Bias checks* (1)" in show and "Recall 4 points lower for es-MX" in show


@pytest.mark.parametrize("bot_settings", [{"require_bias_check": True}])
def test_require_bias_check_refuses_the_ethics_approval_until_a_passed_check(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    bot.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=ETHICS, value="1:ethics")
    assert "requires a recorded bias check with result *passed*" in ephemerals(bot)[-1]
    assert "Ethics review*: :white_circle: pending" in _review_text(bot, review_ts)

    view = _open(bot, review_ts, ETHICS)
    assert view is not None
    _fill(bot, view, result="concerns")
    bot.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=ETHICS, value="1:ethics")
    assert "REQUIRE_BIAS_CHECK" in ephemerals(bot)[-1]

    _fill(bot, view, result="passed")
    bot.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=ETHICS, value="1:ethics")
    bot.delivered()
    assert f"Ethics: :large_green_circle: approved by <@{ETHICS}>" in card_text(bot)
    assert "approved without recorded bias checks" not in card_text(bot)


def test_by_default_the_approval_stands_and_the_card_notes_it(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    bot.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=ETHICS, value="1:ethics")
    bot.delivered()
    assert "approved without recorded bias checks" in card_text(bot)
    assert "approved without recorded bias checks" in _review_text(bot, review_ts)


def test_the_ethics_reminder_lists_submitted_experiments_without_checks(team: BotServer) -> None:
    bot = team
    bot.slack.add_channel(CHANNEL, "team")
    for n, hypothesis in enumerate(("Checked one", "Unchecked one", "Only proposed"), start=1):
        bot.command("/experiment", f"propose {hypothesis}", user=OWNER)
        if n < 3:
            submit(bot, n)
    view = _open(bot, thread_reply(bot, "up for review", 1)[0], ETHICS)
    assert view is not None
    _fill(bot, view)
    bot.delivered()

    due = (utcnow() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    with bot.db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="UADMIN",
            name="ethics",
            channel_id=CHANNEL,
            schedule_tokens=["daily", f"{due:%H:%M}", "UTC"],
            default_timezone="UTC",
            now=due - timedelta(minutes=1),
        )
        ethics = ceremonies.get(session, team_id=TEAM_ID, name="ethics")
        ethics.kind = ceremonies.ETHICS_REVIEW
        session.add(ethics)
    before = len(bot.slack.calls_to("chat.postMessage"))
    run_once(bot.settings, bot.db, now=due)
    bot.delivered()
    [reminder] = [
        c.args
        for c in bot.slack.calls_to("chat.postMessage")[before:]
        if "starts now" in str(c.args.get("blocks"))
    ]
    text = all_text(reminder["blocks"])
    listed = text[text.index("No bias check recorded yet") :]
    assert "(1)" in listed and "Unchecked one" in listed
    assert "Checked one" not in listed and "Only proposed" not in listed
