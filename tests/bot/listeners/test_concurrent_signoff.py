"""Approvers clicking at once, over HTTP, on SQLite and PostgreSQL: production exactly once."""

from __future__ import annotations

import threading

import pytest

from bot import ids
from storage import audit
from storage import experiments as queries
from storage.db import Database
from tests.bot.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    SIGNERS,
    build_team,
    card_text,
    card_ts,
    reviewed_experiment,
    thread_reply,
)
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, all_text


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


def test_simultaneous_sign_offs_reach_production_once(bot: BotServer) -> None:
    build_team(bot)
    reviewed_experiment(bot)
    bot.command("/experiment", "promote EXP-1", user=OWNER)
    signoff_ts, _ = thread_reply(bot, "ready for production")
    # Every approver clicks twice, and Slack retries one click: nine requests at the same moment.
    payloads = [
        bot.click_payload(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=user, value=f"1:{role}")
        for role, user in SIGNERS.items()
        for _ in range(2)
    ]
    payloads += payloads[:1]
    start = threading.Barrier(len(payloads))
    statuses: list[int] = []

    def click(payload: dict) -> None:
        start.wait()
        statuses.append(bot.interact(payload, settle=False).status)

    threads = [threading.Thread(target=click, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.settle()

    assert statuses == [200] * len(payloads)
    with bot.db.session() as session:
        experiment = queries.get_by_number(session, team_id=TEAM_ID, number=1)
        assert experiment is not None and experiment.id is not None
        approvals = queries.approvals(session, experiment_id=experiment.id)
        trail = audit.for_experiment(session, team_id=TEAM_ID, experiment_id=experiment.id)
    assert experiment.status == "production"
    assert {(a.role, a.approver_id) for a in approvals} == set(SIGNERS.items())
    assert [e.action for e in trail].count("status:production") == 1
    assert sorted(e.action for e in trail if e.action.startswith("sign-off:")) == sorted(
        f"sign-off:{r}" for r in SIGNERS
    )

    plans = [
        m for m in bot.slack.thread(CHANNEL, card_ts(bot)) if "is in production" in all_text(m["blocks"])
    ]
    assert len(plans) == 1
    assert "EXP-1 · production" in card_text(bot)
