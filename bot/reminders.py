"""Posting what a scheduler pass decided to Slack: the `Poster` the workflow layer asks for."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks import Message
from bot.blocks.ceremonies import nudge_message, reminder_message
from workflow.nudges import Nudge
from workflow.reminders import Reminder
from workflow.tick import PostFailed

# Slack errors that another attempt cannot fix; the rest (server errors, timeouts) are retried.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "thread_not_found",
        "message_not_found",
    }
)


class SlackPoster:
    """Posts with a client from `bot.slack.make_client`, which waits out HTTP 429 itself."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _post(self, payload: Message, **kwargs: str) -> str:
        try:
            response = self.client.chat_postMessage(unfurl_links=False, **payload, **kwargs)
        except SlackApiError as error:
            code = str(error.response.get("error", "unknown_error"))
            raise PostFailed(code, permanent=code in PERMANENT_ERRORS) from error
        except (SlackClientError, OSError) as error:
            raise PostFailed(f"{type(error).__name__}: {error}") from error
        return str(response["ts"])

    def reminder(self, reminder: Reminder) -> str:
        return self._post(reminder_message(reminder), channel=reminder.ceremony.channel_id)

    def nudge(self, nudge: Nudge) -> None:
        e = nudge.experiment
        if e.channel_id is None or e.message_ts is None:
            raise PostFailed("the experiment has no card to reply to", permanent=True)
        self._post(nudge_message(nudge), channel=e.channel_id, thread_ts=e.message_ts)
