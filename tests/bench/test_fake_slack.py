"""The load benchmark's fake Slack answers as the tests' one does and counts the cards it gets.

bench.load is not run by the tests (it takes minutes and wants a quiet machine); this keeps its
fake Slack in step with tests/fakeslack.py, whose changes it inherits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from slack_sdk import WebClient

from bench.fake_slack import BenchSlack
from bench.processes import free_port


@pytest.fixture
def slack() -> Iterator[BenchSlack]:
    fake = BenchSlack(free_port())
    fake.start()
    yield fake
    fake.stop()


def test_it_answers_the_bot_and_counts_each_post(slack: BenchSlack) -> None:
    client = WebClient(token="xoxb-bench", base_url=slack.api_url)
    assert client.auth_test()["ok"]
    assert requests.get(f"{slack.url}/bench/posts", timeout=5).json() == {"posts": 0, "last": None}

    posted = client.chat_postMessage(channel="C1", text="EXP-1")
    client.chat_postMessage(channel="C1", text="EXP-2")

    counted = requests.get(f"{slack.url}/bench/posts", timeout=5).json()
    assert counted["posts"] == 2 and counted["last"] is not None
    assert slack.message("C1", posted["ts"])["text"] == "EXP-1"
