"""Opening a modal from a click."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot.listeners.actions.click import Click


def open_modal(click: Click, view: dict[str, Any]) -> None:
    """Open `view` with the click's trigger; if Slack refuses, tell the clicker to click again.

    Call it after the ack (`click.later(lambda: open_modal(click, view))`): the trigger id lives
    3 s, and a slow moment can expire it. Nothing was changed either way.
    """
    try:
        click.client.views_open(trigger_id=click.trigger_id, view=view)
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error")
        click.tell(f":warning: I couldn't open the form ({code}); nothing changed. Please click again.")
