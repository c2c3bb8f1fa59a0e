"""Keeping an experiment's card in its channel true to the database.

The database is the source of truth: callers commit first, then call `publish_card`,
which renders from a fresh read. If Slack fails, the change stays and the next publish
(after any later change, or a retry) brings the card up to date.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.experiments import card
from storage.db import Database
from workflow import experiments

log = logging.getLogger(__name__)

# Slack errors that mean the bot cannot post where the card should go.
_NOT_IN_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


class CardError(Exception):
    """The card could not be shown; `str()` says why, for the user."""


def publish_card(client: WebClient, db: Database, *, team_id: str, number: int) -> None:
    """Post the experiment's card if it has none, else update it in place."""
    with db.session() as session:
        experiment = experiments.get(session, team_id=team_id, number=number)
        payload = card(experiments.detail(session, experiment))
        channel, ts = experiment.channel_id, experiment.message_ts
    if channel is None:
        return
    try:
        if ts:
            client.chat_update(channel=channel, ts=ts, **payload)
            return
        response = client.chat_postMessage(channel=channel, unfurl_links=False, **payload)
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error")
        log.warning("card for %s EXP-%s not published: %s", team_id, number, code)
        if code in _NOT_IN_CHANNEL:
            raise CardError(
                f"I can't post in <#{channel}>: invite me with `/invite @AI Team Bot` and try again."
            ) from error
        raise CardError(
            f"Slack refused to show the card ({code}); it will catch up on the next change."
        ) from error
    with db.session() as session:
        experiment = experiments.get(session, team_id=team_id, number=number, for_update=True)
        if experiment.message_ts is None:
            experiments.attach_card(
                session, experiment, channel_id=response["channel"], message_ts=response["ts"]
            )
