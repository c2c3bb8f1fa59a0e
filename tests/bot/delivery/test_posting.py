"""Posting so a retry never posts twice, and never leaves an older render in place."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Message
from bot.delivery.senders.posting import SendContext, digest_of, keep, post
from storage.types import utcnow
from tests.fakeslack import FakeSlack

CHANNEL = "C_TEAM"
KEY = "T0TEAM:1:message_ts"


def _payload(status: str) -> Message:
    text = f"EXP-1 · {status}"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def _context(slack: FakeSlack, *, check_posted: bool) -> SendContext:
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    none: Any = None  # keep and post use only the client
    return SendContext(
        client=client, db=none, config=none, policy=none, now=utcnow(), check_posted=check_posted
    )


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


def test_a_retry_that_finds_its_earlier_post_brings_it_up_to_date(fake: FakeSlack) -> None:
    # The first attempt posted the card as it was then; its answer was lost, so no ts was kept.
    earlier = post(_context(fake, check_posted=False), channel=CHANNEL, key=KEY, payload=_payload("proposed"))
    # The experiment moved on before the retry, which finds that post instead of posting again.
    retry = _context(fake, check_posted=True)
    ts = keep(
        retry, team_id="T0TEAM", channel=CHANNEL, key=KEY, payload=_payload("in review"), ts=None, known={}
    )

    assert ts == earlier
    assert len(fake.calls_to("chat.postMessage")) == 1
    shown = fake.message(CHANNEL, ts)
    assert shown["text"] == "EXP-1 · in review"
    assert shown["blocks"] == _payload("in review")["blocks"]
    # What it remembers as shown there is what Slack now shows.
    assert len(retry.writes) == 1
    assert digest_of(_payload("in review")) == digest_of({"text": shown["text"], "blocks": shown["blocks"]})


def test_a_first_attempt_posts_without_looking(fake: FakeSlack) -> None:
    ctx = _context(fake, check_posted=False)
    keep(ctx, team_id="T0TEAM", channel=CHANNEL, key=KEY, payload=_payload("proposed"), ts=None, known={})
    assert [c.method for c in fake.calls] == ["chat.postMessage"]


def test_a_found_post_is_reported_before_its_update_can_fail(fake: FakeSlack) -> None:
    earlier = post(_context(fake, check_posted=False), channel=CHANNEL, key=KEY, payload=_payload("proposed"))
    fake.fail("chat.update", "msg_too_long")
    learned: list[str] = []
    retry = _context(fake, check_posted=True)
    with pytest.raises(SlackApiError):
        keep(
            retry,
            team_id="T0TEAM",
            channel=CHANNEL,
            key=KEY,
            payload=_payload("in review"),
            ts=None,
            known={},
            posted=learned.append,
        )
    # The caller records the card's ts, so the next row updates it instead of posting again.
    assert learned == [earlier]
    # Nothing claims the refused render is what Slack shows.
    assert retry.writes == []
