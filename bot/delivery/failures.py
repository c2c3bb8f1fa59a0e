"""Telling a Slack failure that another attempt can fix from one it cannot."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.delivery.clients import NotInstalled
from mlplatform.errors import PlatformError
from workflow.delivery import Failure
from workflow.installs import UNINSTALLED

# Slack error codes that retrying cannot fix, and what the person who caused the post can do.
PERMANENT: dict[str, str] = {
    "channel_not_found": "the channel is gone or private: invite the bot with /invite @AI Team Bot",
    "not_in_channel": "the bot is not in the channel: invite it with /invite @AI Team Bot",
    "is_archived": "the channel is archived",
    "restricted_action": "the workspace does not let the bot post there",
    "invalid_auth": "the bot's token is not valid: reinstall the app",
    "account_inactive": "the bot's token was revoked: reinstall the app",
    "token_revoked": "the bot's token was revoked: reinstall the app",
    "missing_scope": "the app lacks a permission: reinstall it from the manifest",
    "not_authed": "the bot's token is missing",
    "no_permission": "the bot may not do that here",
    "message_not_found": "the message was deleted",
    "cant_update_message": "the message can no longer be edited",
    "thread_not_found": "the thread was deleted",
    "invalid_blocks": "Slack refused the message's layout (a bug: please report it)",
    "msg_too_long": "the message was too long (a bug: please report it)",
    "user_not_found": "the person is not in the workspace",
}
# Exceptions another attempt may not meet: no answer from Slack, a lost connection, the database
# briefly away or its pool busy.
TRANSIENT_ERRORS = (
    SlackClientError,
    OSError,
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
)
# The error recorded when a sender raised something no Slack call raises: a bug of ours.
BUG = "bot_error"
# Codes Slack returns for its own trouble: try again later.
TRANSIENT = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


def classify(error: Exception) -> Failure:
    """A Failure for an exception raised by a Web API call (anything else is transient)."""
    if isinstance(error, SlackApiError):
        response = error.response
        status = response.status_code
        code = str(response.get("error") or f"http_{status}")[:200]
        if status == 429:
            retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after") or "1"
            try:
                wait = float(retry_after)
            except ValueError:
                wait = 1.0
            return Failure("ratelimited", retry_after=wait)
        if status >= 500 or code in TRANSIENT:
            return Failure(code)
        if code == "missing_scope" and response.get("needed"):
            # Name the permission, so whoever reads it knows what the reinstall must grant.
            return Failure(f"missing_scope: {str(response.get('needed'))[:100]}", permanent=True)
        # Unknown codes are permanent: retrying a request Slack refuses only hides the refusal.
        return Failure(code, permanent=True)
    if isinstance(error, PlatformError):
        # MLflow: away (retried as long as it takes), or refusing for good (shown).
        return Failure(f"mlflow: {error}"[:300], permanent=error.permanent)
    if isinstance(error, NotInstalled):
        return Failure(UNINSTALLED, permanent=True)
    if isinstance(error, TRANSIENT_ERRORS):
        # No answer, a lost connection, or the database briefly away: try again.
        return Failure(f"{type(error).__name__}: {error}"[:300])
    # Anything else is a bug: retrying would loop on it, so show it instead.
    return Failure(f"{BUG}: {type(error).__name__}: {error}"[:300], permanent=True)


def explain(error: str) -> str:
    """What a recorded error means for people, for App Home and `/experiment show`."""
    if error.startswith("missing_scope: "):
        needed = error.removeprefix("missing_scope: ")
        return (
            f"`missing_scope`: the app lacks the `{needed}` permission: reinstall it with the scopes in "
            "manifest.yml (Slack app settings → OAuth & Permissions → Reinstall to Workspace)"
        )
    hint = PERMANENT.get(error)
    return f"`{error}`: {hint}" if hint else f"`{error}`"
