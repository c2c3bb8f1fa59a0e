"""A card or thread reply is updated only when its render changed since it was last sent:
Slack's per-channel rate goes to what changed. Over signed HTTP with the fake Slack."""

from __future__ import annotations

import pytest

from bot import ids
from storage.db import Database
from tests.bot.listeners.review_helpers import CHANNEL, OWNER, card_ts, submit
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer
from workflow import delivery, experiments, subjects
from workflow.refs import Ref


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


def _updates(bot: BotServer) -> list[str]:
    return [c.args["ts"] for c in bot.slack.calls_to("chat.update")]


def _refresh(bot: BotServer) -> None:
    """Queue bringing EXP-1 up to date though nothing about it changed."""
    with bot.db.session() as session:
        experiment = experiments.get(session, team_id=TEAM_ID, number=1)
        delivery.refresh_experiment(session, experiment, actor_id=None)
    bot.settle()


def test_a_refresh_that_changes_nothing_sends_nothing(team: BotServer) -> None:
    team.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(team)
    before = _updates(team)
    _refresh(team)
    assert _updates(team) == before

    # A ticked checklist item shows in the review reply, not on the card: only the reply goes.
    team.toggle(CHANNEL, review_ts, ids.CHECKLIST, "model_performance", user=OWNER)
    assert _updates(team)[len(before) :] == [review_ts]
    # A metric shows on neither (only in `/experiment show`): nothing goes.
    team.command("/experiment", "metric EXP-1 accuracy=0.91", user=OWNER)
    assert _updates(team)[len(before) :] == [review_ts]


def test_a_redraw_sends_every_message_in_full(team: BotServer) -> None:
    team.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(team)
    before = len(_updates(team))
    with team.db.session() as session:
        subjects.redraw(session, team_id=TEAM_ID, ref=Ref.experiment(1))
    team.settle()
    # Slack may show something else than what was last sent (a refused tick): both go again.
    assert sorted(_updates(team)[before:]) == sorted([card_ts(team), review_ts])


def test_an_update_slack_refused_is_sent_again(team: BotServer) -> None:
    team.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(team)
    team.slack.fail("chat.update", status=503)
    team.toggle(CHANNEL, review_ts, ids.CHECKLIST, "model_performance", user=OWNER)
    team.delivered(timeout=30)
    # The refused update was not remembered as sent: the retry sent it.
    assert _updates(team)[-2:] == [review_ts, review_ts]
    assert _ticked(team, review_ts) == ["model_performance"]


def _ticked(bot: BotServer, ts: str) -> list[str]:
    """The checklist items the message shows ticked."""
    return [
        option["value"]
        for block in bot.slack.message(CHANNEL, ts)["blocks"]
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else [])
        if element.get("action_id") == ids.CHECKLIST
        for option in element.get("initial_options", [])
    ]
