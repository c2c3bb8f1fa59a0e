"""GET /metrics on `python -m bot web` under gunicorn with two workers, and its JSON logs.

A scripted sequence of commands, a click and deliveries that fail goes in through signed HTTP;
the counters move by exactly what it did, whichever worker handled each request and whichever
answers the scrape; and with LOG_FORMAT=json every line the processes wrote is a JSON object.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot import ids
from storage.db import Database
from tests.bot.test_startup import unused_port
from tests.fakeslack import FakeSlack
from tests.harness import SIGNING_SECRET, BotServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

OWNER = "U_OWNER"


class Web(BotServer):
    """Signed requests, as BotServer builds them, to a `python -m bot web` in another process."""

    def __init__(self, slack: FakeSlack, db: Database, port: int) -> None:
        super().__init__(slack, db)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settle(self, timeout: float = 15.0) -> None:
        """Nothing to wait for here: the workers are in the other process."""

    def metrics(self) -> Samples:
        reply = requests.get(f"{self.url}/metrics", timeout=10)
        assert reply.status_code == 200, reply.text
        assert reply.headers["Content-Type"].startswith("text/plain")
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(reply.text)
            for sample in family.samples
        }


@pytest.fixture
def web(tmp_path: Path, slack: FakeSlack) -> Iterator[tuple[Web, Path]]:
    port = unused_port()
    url = f"sqlite:///{tmp_path}/bot.db"
    log = tmp_path / "web.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": url,
        "PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
        "DELIVERY_THREADS": "4",
        "DELIVERY_RATE_PER_CHANNEL": "0",
        "DELIVERY_POLL_SECONDS": "0.1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    db = Database(url)
    bot = Web(slack, db, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if requests.get(f"{bot.url}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        yield bot, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        db.dispose()


def _moved(before: Samples, after: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """How far each series of `name` moved, leaving out those that did not."""
    moved = {
        labels: value - before.get((sample, labels), 0.0)
        for (sample, labels), value in after.items()
        if sample == name
    }
    return {labels: delta for labels, delta in moved.items() if delta}


def _counted(sample: str) -> bool:
    return sample.startswith("aiteam_") and sample.endswith("_total")


def _labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


def _ok_calls(slack: FakeSlack) -> Counter[str]:
    """Web API calls the fake Slack answered, by method (response_url is no Web API call)."""
    return Counter(c.method for c in slack.calls if c.method != "response_url")


def _wait_for(bot: Web, done: object, timeout: float = 30) -> Samples:
    deadline = time.monotonic() + timeout
    while True:
        samples = bot.metrics()
        if callable(done) and done(samples):
            return samples
        assert time.monotonic() < deadline, "the deliveries never finished"
        time.sleep(0.2)


def test_counters_move_by_exactly_what_happened_across_two_workers(
    web: tuple[Web, Path], slack: FakeSlack
) -> None:
    bot, log = web
    before = bot.metrics()
    calls_before = _ok_calls(slack)

    assert "EXP-1" in bot.command("/experiment", "propose Retrieval helps", user=OWNER).text
    slack.wait_for("chat.postMessage", timeout=15)
    card_ts = next(ts for (channel, ts) in slack.messages if channel == "C_TEAM")
    # The card's next update fails once, and is retried.
    slack.fail("chat.update", "internal_error", channel="C_TEAM")
    assert (
        "Submitted" in bot.command("/experiment", "submit EXP-1 eval: https://x.example/1", user=OWNER).text
    )
    slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == card_ts, timeout=15)
    review_ts = next(ts for (_, ts), m in slack.messages.items() if m.get("thread_ts") == card_ts)
    # Nobody holds the technical reviewer's role: the click is refused.
    bot.click("C_TEAM", review_ts, ids.REVIEW_APPROVE, user="U_STRANGER", value="1:technical")
    assert "Unknown subcommand" in bot.command("/experiment", "frobnicate EXP-1", user=OWNER).text
    # A card for a channel that is gone fails for good.
    slack.fail("chat.postMessage", "channel_not_found", channel="C_GONE")
    bot.command("/experiment", "propose Caching helps", user=OWNER, channel="C_GONE")

    after = _wait_for(
        bot,
        lambda s: (
            s[("aiteam_delivery_backlog", frozenset())] == 0
            and _moved(before, s, "aiteam_deliveries_failed_total")
            and _moved(before, s, "aiteam_deliveries_retried_total")
            and len(slack.calls_to("chat.update")) >= 2
        ),
    )
    # Every scrape adds up both workers: any of them answers with the same figures.
    for _ in range(4):
        again = bot.metrics()
        assert {k: v for k, v in again.items() if _counted(k[0])} == {
            k: v for k, v in after.items() if _counted(k[0])
        }

    assert _moved(before, after, "aiteam_commands_total") == {
        _labels(command="/experiment", subcommand="propose", outcome="ok"): 2,
        _labels(command="/experiment", subcommand="submit", outcome="ok"): 1,
        _labels(command="/experiment", subcommand="unknown", outcome="usage"): 1,
    }
    assert _moved(before, after, "aiteam_clicks_total") == {
        _labels(action=ids.REVIEW_APPROVE, outcome="refused"): 1
    }
    assert _moved(before, after, "aiteam_ack_seconds_count") == {
        _labels(request="command"): 4,
        _labels(request="interaction"): 1,
    }
    assert _moved(before, after, "aiteam_deliveries_failed_total") == {
        _labels(kind="experiment", error="channel_not_found"): 1
    }
    assert _moved(before, after, "aiteam_deliveries_retried_total") == {
        _labels(kind="experiment", error="internal_error"): 1
    }
    # Each Web API call the fake Slack saw, counted once under its method and how it went.
    made = _ok_calls(slack) - calls_before
    counted = _moved(before, after, "aiteam_slack_api_calls_total")
    failed = {
        _labels(method="chat.update", status="internal_error"): 1,
        _labels(method="chat.postMessage", status="channel_not_found"): 1,
    }
    assert {k: v for k, v in counted.items() if k in failed} == failed
    assert {dict(k)["method"]: v for k, v in counted.items() if k not in failed} == {
        method: made[method] - sum(v for k, v in failed.items() if dict(k)["method"] == method)
        for method in made
        if made[method] > sum(v for k, v in failed.items() if dict(k)["method"] == method)
    }
    sent = _moved(before, after, "aiteam_deliveries_sent_total")
    queued = _moved(before, after, "aiteam_deliveries_queued_total")
    assert sent[_labels(kind="experiment")] >= 2 and queued[_labels(kind="experiment")] >= 3
    assert _moved(before, after, "aiteam_delivery_queued_to_sent_seconds_count") == sent
    assert after[("aiteam_installed_workspaces", frozenset())] == 1
    # No workspace text in any label.
    assert not [k for k in after if any("helps" in value for _, value in k[1])]

    # LOG_FORMAT=json: every line gunicorn and the bot wrote is one JSON object.
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    (failure,) = [
        line
        for line in lines
        if line["message"].startswith("delivery_failed") and "C_GONE" in line["message"]
    ]
    assert (failure["kind"], failure["team_id"], failure["level"]) == ("experiment", "T0TEAM", "WARNING")
    assert isinstance(failure["delivery_id"], int)
    assert any(line["logger"] == "gunicorn.access" for line in lines)


def test_clock_serves_its_metrics_on_metrics_port(tmp_path: Path, slack: FakeSlack) -> None:
    port = unused_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
        "BIND_HOST": "127.0.0.1",
        "METRICS_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline
            try:
                reply = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        families = {family.name: family for family in text_string_to_metric_families(reply.text)}
        assert families["aiteam_database_up"].samples[0].value == 1
        assert families["aiteam_delivery_backlog"].samples[0].value == 0
        assert "aiteam_scheduler_pass_seconds" in families
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


@pytest.mark.parametrize("bot_settings", [{"metrics_enabled": False}])
def test_metrics_can_be_turned_off(bot: BotServer) -> None:
    assert bot.get("/metrics").status == 404
    assert bot.get("/healthz").status == 200
