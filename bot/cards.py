"""Keeping an experiment's card and its thread replies true to the database.

The database is the source of truth: callers commit first, then call `publish`, which renders
from a fresh read. If Slack fails, the change stays and the next publish (after any later
change, or a retry) brings the messages up to date. Each thread reply (review, sign-off,
deployment plan) is posted once: its slot is claimed in the database before posting, so
concurrent publishers never post it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks import Message
from bot.blocks.experiments import card
from bot.blocks.review import deployment_message, review_message, signoff_message
from storage import experiments as queries
from storage.db import Database
from storage.types import utcnow
from workflow import experiments, promotion
from workflow import vocabulary as v
from workflow.experiments import ExperimentDetail

log = logging.getLogger(__name__)

# Slack errors that mean the bot cannot post where the card should go.
_NOT_IN_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
# A claim older than this was left by a publisher that died mid-post; it may be taken over.
STALE_CLAIM = timedelta(minutes=2)
# Re-render when the experiment changed while we were talking to Slack, at most this often.
MAX_PASSES = 3


def _problem(error: Exception, channel: str) -> str:
    """Why an update could not be shown, for the person whose change it was."""
    code = (
        error.response.get("error", "unknown_error") if isinstance(error, SlackApiError) else "no connection"
    )
    if code in _NOT_IN_CHANNEL:
        return f"I can't post in <#{channel}>: invite me with `/invite @AI Team Bot` and try again."
    return f"Slack refused to show the update ({code}); it will catch up on the next change."


def _deployment(d: ExperimentDetail) -> Message:
    return deployment_message(promotion.deployment_plan(d))


# Each thread reply's renderer, in the order they appear in the thread.
_REPLIES: dict[str, Callable[[ExperimentDetail], Message]] = {
    "review_message_ts": review_message,
    "approval_message_ts": signoff_message,
    "deployment_message_ts": _deployment,
}


def _reached(d: ExperimentDetail) -> set[str]:
    """The replies the experiment has reached, so must be posted if they are not yet."""
    status = d.experiment.status
    reached = {"review_message_ts"} if d.checklist else set()
    if status in (v.APPROVED, v.PRODUCTION):
        reached.add("approval_message_ts")
    if status == v.PRODUCTION:
        reached.add("deployment_message_ts")
    return reached


def publish(client: WebClient, db: Database, *, team_id: str, number: int) -> list[str]:
    """Bring the card and its thread replies up to date; returns what could not be shown."""
    problems: list[str] = []
    for _ in range(MAX_PASSES):
        with db.session() as session:
            experiment = experiments.get(session, team_id=team_id, number=number)
            d = experiments.detail(session, experiment)
        problems = _show(client, db, d)
        with db.session() as session:
            current = experiments.get(session, team_id=team_id, number=number).version
        # Another change landed while we rendered; our update may have overwritten a newer one.
        if current == experiment.version:
            break
    return list(dict.fromkeys(problems))


def _show(client: WebClient, db: Database, d: ExperimentDetail) -> list[str]:
    e = d.experiment
    if e.channel_id is None:
        return []
    assert e.id is not None
    channel = e.channel_id
    problems: list[str] = []
    try:
        if e.message_ts:
            client.chat_update(channel=channel, ts=e.message_ts, **card(d))
        else:
            response = client.chat_postMessage(channel=channel, unfurl_links=False, **card(d))
            with db.session() as session:
                row = experiments.get(session, team_id=e.team_id, number=e.number, for_update=True)
                if row.message_ts is None:
                    experiments.attach_card(
                        session, row, channel_id=response["channel"], message_ts=response["ts"]
                    )
            e.message_ts = response["ts"]
    except (SlackApiError, SlackClientError, OSError) as error:
        log.warning("card for %s EXP-%s not shown: %s", e.team_id, e.number, error)
        problems = [_problem(error, channel)]
    if e.message_ts is None:
        return problems  # no card, so no thread to reply in
    reached = _reached(d)
    for slot, render in _REPLIES.items():
        ts = getattr(e, slot)
        try:
            if queries.is_posted(ts):
                client.chat_update(channel=channel, ts=ts, **render(d))
            elif slot in reached:
                _post_once(client, db, d, slot, render(d))
        except (SlackApiError, SlackClientError, OSError) as error:
            log.warning("%s for %s EXP-%s not shown: %s", slot, e.team_id, e.number, error)
            problems.append(_problem(error, channel))
    return problems


def _post_once(client: WebClient, db: Database, d: ExperimentDetail, slot: str, payload: Message) -> None:
    e = d.experiment
    assert e.id is not None
    with db.session() as session:
        claimed = queries.claim_slot(
            session, experiment_id=e.id, slot=slot, now=utcnow(), stale_after=STALE_CLAIM
        )
    if not claimed:
        return  # posted already, or being posted by a concurrent publisher
    try:
        response = client.chat_postMessage(
            channel=e.channel_id, thread_ts=e.message_ts, unfurl_links=False, **payload
        )
    except BaseException:
        with db.session() as session:
            queries.fill_slot(session, experiment_id=e.id, slot=slot, ts=None)
        raise
    with db.session() as session:
        queries.fill_slot(session, experiment_id=e.id, slot=slot, ts=response["ts"])


def post_notice(client: WebClient, d: ExperimentDetail, payload: Message) -> list[str]:
    """A one-off reply in the card's thread (a reason, a resubmission); returns what failed."""
    e = d.experiment
    if e.channel_id is None or e.message_ts is None:
        return []
    try:
        client.chat_postMessage(channel=e.channel_id, thread_ts=e.message_ts, unfurl_links=False, **payload)
    except (SlackApiError, SlackClientError, OSError) as error:
        return [_problem(error, e.channel_id)]
    return []
