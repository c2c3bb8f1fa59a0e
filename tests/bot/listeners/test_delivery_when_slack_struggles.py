"""Slack slow, down, rate-limited, or a process dying mid-delivery: acks stay fast and every card
arrives exactly once. Over signed HTTP with the fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Experiment
from tests.bot.listeners.review_helpers import CHANNEL, OWNER, card_ts, thread_reply
from tests.fakeslack import FakeSlack
from tests.harness import BotServer, Response, all_text
from workflow import delivery, experiments, proposals
from workflow.delivery import State

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


def _propose_all(bot: BotServer, texts: list[str], *, channel: str = CHANNEL) -> list[tuple[Response, float]]:
    """Send the proposals at once, as 40 people would; each answer with how long its ack took."""

    def one(text: str) -> tuple[Response, float]:
        started = time.monotonic()
        reply = bot.command("/experiment", f"propose {text}", channel=channel, settle=False)
        return reply, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        return list(pool.map(one, texts))


def _cards(slack: FakeSlack) -> Counter[str]:
    """How many times each hypothesis was posted as a card (thread replies left out)."""
    return Counter(
        all_text(m["blocks"]).split("*Hypothesis*\n")[1].split("\n")[0]
        for m in slack.messages.values()
        if "thread_ts" not in m
    )


@pytest.mark.parametrize("bot_settings", [{"delivery_threads": 16}])
def test_a_burst_while_slack_takes_two_seconds_is_acked_at_once_and_posted_once(bot: BotServer) -> None:
    bot.slack.slow("chat.postMessage", 2.0)
    texts = [f"Hypothesis number {i}" for i in range(40)]
    answers = _propose_all(bot, texts)
    assert {reply.status for reply, _ in answers} == {200}
    slowest = max(took for _, took in answers)
    assert slowest < 3.0, f"an ack took {slowest:.2f} s"
    ids = {reply.text.split("*")[1] for reply, _ in answers}
    assert ids == {f"EXP-{n}" for n in range(1, 41)}
    bot.delivered(timeout=30)
    assert _cards(bot.slack) == Counter(texts)


def test_cards_owed_while_slack_is_down_arrive_once_when_it_recovers(bot: BotServer) -> None:
    bot.slack.fail("chat.postMessage", "service_unavailable", times=6, status=503)
    texts = ["Down one", "Down two", "Down three"]
    assert all(reply.status == 200 for reply, _ in _propose_all(bot, texts))
    # Nobody touches the experiments; the queue retries with backoff until Slack answers.
    bot.delivered(timeout=30)
    assert _cards(bot.slack) == Counter(texts)
    assert len(bot.slack.calls_to("chat.postMessage")) == 6 + 3


@pytest.mark.parametrize("bot_settings", [{"delivery_rate_per_channel": 1.0, "delivery_burst": 3}])
def test_a_rate_limited_channel_waits_alone_and_its_cards_arrive_once(bot: BotServer) -> None:
    bot.slack.rate_limit("chat.postMessage", retry_after=1, times=2, channel="C_BUSY")
    answers = _propose_all(bot, [f"Busy {i}" for i in range(5)], channel="C_BUSY")
    answers += _propose_all(bot, ["Quiet one"], channel="C_QUIET")
    assert all(reply.status == 200 and took < 1.0 for reply, took in answers)
    # The quiet channel is not held up by the busy one's pause.
    bot.slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "C_QUIET", timeout=3)
    bot.delivered(timeout=30)
    assert _cards(bot.slack) == Counter([f"Busy {i}" for i in range(5)] + ["Quiet one"])


@pytest.mark.parametrize("bot_settings", [{"delivery_threads": 2}])
def test_a_submit_while_the_cards_post_waits_for_slack_gives_one_card_with_the_review_in_its_thread(
    bot: BotServer,
) -> None:
    bot.slack.slow("chat.postMessage", 3.0)
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER, settle=False)
    bot.slack.wait_for("chat.postMessage")  # the card is with Slack; its answer is 3 s away
    reply = bot.command("/experiment", "submit EXP-1 eval: https://x", user=OWNER, settle=False)
    assert "Submitted" in reply.text
    bot.delivered(timeout=30)
    cards = [m for m in bot.slack.messages.values() if "thread_ts" not in m]
    assert len(cards) == 1
    ts, _ = thread_reply(bot, "up for review")
    assert bot.slack.message(CHANNEL, ts)["thread_ts"] == card_ts(bot)
    assert "in review" in all_text(cards[0]["blocks"])


@pytest.mark.parametrize("bot_settings", [{"slack_timeout_seconds": 1}])
def test_a_card_found_by_a_retry_whose_update_fails_for_good_is_updated_later_not_posted_again(
    bot: BotServer,
) -> None:
    # The card reaches Slack, but its answer does not: the client gives up after 1 s.
    bot.slack.slow("chat.postMessage", 1.5)
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER, settle=False)
    bot.slack.wait_for("chat.postMessage")
    bot.slack.slow("chat.postMessage", 0)
    # The retry finds the card by its key, and Slack refuses to update it, for good.
    bot.slack.fail("chat.update", "msg_too_long")
    bot.delivered(timeout=30)
    assert len(bot.slack.calls_to("conversations.history")) == 1
    (card,) = [m for m in bot.slack.messages.values() if "thread_ts" not in m]
    with bot.db.read() as session:
        (failed,) = delivery.listing(session, states=[State.FAILED], limit=10)
        assert failed.last_error == "msg_too_long"
        # What the retry learned from Slack is kept, although its update failed.
        (experiment,) = session.exec(select(Experiment)).all()
        assert experiment.message_ts == card["ts"]

    # The next change's row, which does not look, updates that card rather than posting another.
    reply = bot.command("/experiment", "submit EXP-1 eval: https://x", user=OWNER)
    assert "Submitted" in reply.text
    bot.delivered(timeout=30)
    cards = [m for m in bot.slack.messages.values() if "thread_ts" not in m]
    assert len(cards) == 1
    assert "in review" in all_text(cards[0]["blocks"])
    ts, _ = thread_reply(bot, "up for review")
    assert bot.slack.message(CHANNEL, ts)["thread_ts"] == cards[0]["ts"]


def test_rows_claimed_by_a_process_killed_mid_delivery_are_delivered_by_another_once(
    slack: FakeSlack, db: Database, tmp_path: Path
) -> None:
    for i in range(3):
        proposals.propose(
            db, team_id="T0TEAM", owner_id=OWNER, hypothesis=f"Survivor {i}", channel_id=CHANNEL
        )
    # Slack takes the posts but answers too late: the process dies with its claims in flight.
    slack.slow("chat.postMessage", 60)
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": db.url,
        "DELIVERY_LEASE_SECONDS": "3",
        "DELIVERY_RATE_PER_CHANNEL": "0",
    }
    env.pop("SLACK_APP_TOKEN", None)
    doomed = subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        slack.wait_for("chat.postMessage", 3, timeout=30)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    slack.slow("chat.postMessage", 0)

    survivor = BotServer(slack, db, delivery_lease_seconds=3).start()
    try:
        survivor.delivered(timeout=30)
    finally:
        survivor.stop()
    # The takeover found each post that did happen (by its metadata) instead of posting again.
    assert _cards(slack) == Counter(f"Survivor {i}" for i in range(3))
    with db.read() as session:
        assert all(
            e.message_ts for e in experiments.list_experiments(session, team_id="T0TEAM", user_id="U").items
        )


def _propose_directly(db: Database, count: int, prefix: str) -> None:
    for i in range(count):
        proposals.propose(
            db, team_id="T0TEAM", owner_id=OWNER, hypothesis=f"{prefix} {i}", channel_id=CHANNEL
        )


def _states(db: Database) -> Counter[str]:
    with db.read() as session:
        return Counter(row.state for row in delivery.listing(session, states=list(State), limit=100))


def test_one_thread_works_through_a_backlog_in_order(slack: FakeSlack, db: Database) -> None:
    """A thread claims its next row as it records the last: the backlog still goes out oldest
    first, each card once."""
    _propose_directly(db, 6, "Backlog")
    bot = BotServer(slack, db, delivery_threads=1).start()
    try:
        bot.delivered()
    finally:
        bot.stop()
    posted = [
        all_text(c.args["blocks"]).split("*Hypothesis*\n")[1].split("\n")[0]
        for c in slack.calls_to("chat.postMessage")
    ]
    assert posted == [f"Backlog {i}" for i in range(6)]


def test_a_stopping_worker_claims_nothing_more(slack: FakeSlack, db: Database) -> None:
    """The row in flight is finished and recorded; the rest stay pending for the next process
    instead of waiting out a lease."""
    _propose_directly(db, 3, "Stopping")
    slack.slow("chat.postMessage", 1.0)
    bot = BotServer(slack, db, delivery_threads=1).start()
    try:
        slack.wait_for("chat.postMessage", 1, timeout=10)
    finally:
        bot.stop()
    assert _states(db) == Counter({State.DELIVERED: 1, State.PENDING: 2})
