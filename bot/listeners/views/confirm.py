"""Telling the person who submitted a form, privately, in the channel they came from."""

from __future__ import annotations

from logging import Logger

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services


def confirm_later(
    services: Services, client: WebClient, logger: Logger, *, channel_id: str, user_id: str, text: str
) -> None:
    """After the ack, on the answers pool: a form's ack cannot carry a message, and a slow Slack
    must not hold up the thread that answered it."""

    def send() -> None:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
        except SlackApiError:
            logger.exception("could not confirm to %s in %s", user_id, channel_id)

    services.answers.submit(send)
