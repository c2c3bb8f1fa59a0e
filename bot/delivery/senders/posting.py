"""What every sender shares: the context it runs in, and posting so a retry never posts twice.

Each post carries the delivery's key in its message metadata, so a retry after an uncertain
outcome (a time-out, a process that died mid-call) can find a post that did happen before
posting again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.blocks import Message
from mlplatform.client import Mlflow
from storage.db import Database
from storage.models import Delivery
from workflow import delivery
from workflow.permissions import Policy
from workflow.tick import TickConfig

METADATA_EVENT = "aiteam_post"


@dataclass(frozen=True)
class SendContext:
    client: WebClient
    db: Database
    config: TickConfig
    policy: Policy
    now: datetime
    mlflow: Mlflow | None = None  # the ML platform, when the integration is on
    # Look for an earlier post before posting: set on a retry after an uncertain outcome.
    check_posted: bool = False
    # What the sender learned from Slack (a message's ts), written in the same transaction as
    # the delivery's outcome, whether or not a later call failed: one write per delivery.
    writes: list[Callable[[Session], object]] = field(default_factory=list)

    def record(self, write: Callable[[Session], object]) -> None:
        self.writes.append(write)


class NothingToSend(Exception):
    """The intent no longer applies (the subject is gone); the row is done."""


Sender = Callable[[SendContext, Delivery], str | None]


def post(ctx: SendContext, *, channel: str, key: str, payload: Message, thread_ts: str | None = None) -> str:
    """chat.postMessage, tagged with `key`; on a retry, first look for the post having happened."""
    if ctx.check_posted:
        found = find_post(ctx, channel=channel, key=key, thread_ts=thread_ts)
        if found is not None:
            return found
    return _post_new(ctx, channel=channel, key=key, payload=payload, thread_ts=thread_ts)


def _post_new(ctx: SendContext, *, channel: str, key: str, payload: Message, thread_ts: str | None) -> str:
    kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
    response = ctx.client.chat_postMessage(
        channel=channel,
        unfurl_links=False,
        metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
        **kwargs,
        **payload,
    )
    return str(response["ts"])


def digest_of(payload: Message) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sent(session: Session, *, team_id: str, channel: str, ts: Iterable[str | None]) -> dict[str, str]:
    """What was last sent into these messages (by ts), for `keep`."""
    return delivery.sent_digests(session, team_id=team_id, channel_id=channel, ts=[t for t in ts if t])


def keep(
    ctx: SendContext,
    *,
    team_id: str,
    channel: str,
    key: str,
    payload: Message,
    ts: str | None,
    known: Mapping[str, str],
    thread_ts: str | None = None,
    posted: Callable[[str], None] | None = None,
) -> str:
    """Post `payload` (`ts` None), or bring the message `ts` up to date, unless `known` shows
    this very payload was the last sent there; remember what was sent. Returns the ts.

    `posted` is told the ts of a message that `ts` did not know, as soon as it is known: before
    any call that could fail, so a failed update still leaves it recorded (`SendContext.record`)
    and no later row, which would not look, posts the message a second time."""
    digest = digest_of(payload)
    found = None
    if ts is None and ctx.check_posted:
        found = find_post(ctx, channel=channel, key=key, thread_ts=thread_ts)
    if found is not None:
        ts = found
        if posted is not None:
            posted(ts)
        # The post an earlier attempt made shows what was rendered then, maybe older than this
        # payload: bring it up to date before remembering this payload as what it shows.
        ctx.client.chat_update(channel=channel, ts=ts, **payload)
    elif ts is None:
        ts = _post_new(ctx, channel=channel, key=key, payload=payload, thread_ts=thread_ts)
        if posted is not None:
            posted(ts)
    elif known.get(ts) == digest:
        return ts
    else:
        ctx.client.chat_update(channel=channel, ts=ts, **payload)
    kept = ts
    ctx.record(
        lambda session: delivery.remember_sent(
            session, team_id=team_id, channel_id=channel, ts=kept, digest=digest
        )
    )
    return ts


def latest_messages(
    ctx: SendContext, *, channel: str, thread_ts: str | None, metadata: bool = False
) -> list[dict[str, Any]] | None:
    """The channel's (or a thread's) latest messages, to find something a lost answer hid;
    None when the bot may not look (then it sends, accepting the rare duplicate)."""
    options: dict[str, Any] = {"include_all_metadata": True} if metadata else {}
    try:
        if thread_ts:
            response = ctx.client.conversations_replies(channel=channel, ts=thread_ts, limit=200, **options)
        else:
            response = ctx.client.conversations_history(channel=channel, limit=200, **options)
    except SlackApiError as error:
        if error.response.get("error") in ("missing_scope", "not_in_channel", "channel_not_found"):
            return None
        raise
    return list(response.get("messages") or [])


def find_post(ctx: SendContext, *, channel: str, key: str, thread_ts: str | None) -> str | None:
    """The ts of a message the bot posted with `key`, among the channel's (or thread's) latest."""
    for message in latest_messages(ctx, channel=channel, thread_ts=thread_ts, metadata=True) or []:
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == METADATA_EVENT
            and (metadata.get("event_payload") or {}).get("key") == key
        ):
            return str(message["ts"])
    return None
