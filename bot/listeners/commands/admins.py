"""Asking Slack who someone is: whether they are a workspace admin or owner (which makes them an
admin here), and a person's profile. Slack is asked only after the ack (`request.later`)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.listeners.commands.router import CommandRequest
from workflow.errors import WorkflowError


def slack_user(request: CommandRequest, user_id: str) -> dict | None:
    """The person's `users.info` profile; None if Slack does not know them."""
    try:
        return request.client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") == "user_not_found":
            return None
        raise


def is_workspace_admin(request: CommandRequest) -> bool:
    """Whether Slack says the person running the command is a workspace admin or owner."""
    try:
        user = slack_user(request, request.user_id) or {}
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error")
        raise WorkflowError(
            f"I couldn't ask Slack whether you are a workspace admin ({code}); nothing changed. Try again."
        ) from error
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
