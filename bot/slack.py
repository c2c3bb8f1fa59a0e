"""Building the Bolt app and its Web API clients."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.error import BoltError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.listeners import register_listeners
from bot.metrics.slack_client import MeteredWebClient, metered
from bot.services import Services
from bot.settings import Settings


class _NoTokenSkippedWarning(logging.Filter):
    """Drop Bolt's "token will be unused" warning.

    Bolt reads SLACK_BOT_TOKEN from the environment and warns that it is ignored because we
    pass `client=`; but the client carries that same token, so the warning only misleads.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_no_token_skipped_warning = _NoTokenSkippedWarning()


def make_client(settings: Settings) -> WebClient:
    """The client for calls made while someone waits (a modal, a lookup, a private answer): it
    waits out a short HTTP 429 and retries a failed connection once or twice.

    Bolt copies `base_url` and the retry handlers into the clients it gives listeners.
    """
    return MeteredWebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=int(settings.slack_timeout_seconds),
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1),
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def make_delivery_client(settings: Settings, token: str | None = None) -> WebClient:
    """The client of the delivery workers: no retries of its own. The queue retries, pausing only
    the channel a 429 names, and never re-sends a post inside one attempt (which could post twice).
    `token`: a workspace's own (OAuth installs); by default SLACK_BOT_TOKEN."""
    return MeteredWebClient(
        token=token or settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=int(settings.slack_timeout_seconds),
        retry_handlers=[],
    )


def create_app(services: Services, *, http: bool = True) -> App:
    """The Bolt app with every listener registered.

    `http=True` verifies Slack's request signatures (HTTP mode); Socket Mode needs no secret.
    Listeners run in the thread that received the request and answer when they return
    (`process_before_response`): they only parse, write one short transaction and ack, so
    there is no hand-off to a pool and no polling for the ack. Anything slow after the ack goes
    to `services.answers` or the delivery queue.

    Bolt asks Slack who the bot is (`auth.test`) once per process. Asked here, at start-up, it
    never lands on a request's way to its ack; if Slack cannot answer now (the token was checked
    before the server started, bot/preflight.py), Bolt asks on the first request instead rather
    than the process crashing.
    """
    try:
        return _build(services, http=http, verify_token=True)
    except BoltError as error:
        logging.getLogger("bot").warning("auth.test at start-up failed (%s); asking on first request", error)
        return _build(services, http=http, verify_token=False)


def _build(services: Services, *, http: bool, verify_token: bool) -> App:
    settings = services.settings
    signing_secret = settings.secret("slack_signing_secret") if http else None
    logger = logging.getLogger("bot")
    logger.addFilter(_no_token_skipped_warning)  # once: addFilter ignores a filter already there
    client = make_client(settings)
    oauth = None
    if settings.oauth:
        # Late: bot.installs builds its delivery clients with this module's make_delivery_client.
        from bot.installs import oauth_settings

        oauth = oauth_settings(settings, services.db, client)
    app = App(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=http,
        process_before_response=True,
        token_verification_enabled=verify_token,
        oauth_settings=oauth,
        logger=logger,
    )

    @app.middleware
    def inject_services(context: BoltContext, next: Any) -> None:
        context["services"] = services
        if context.client is not None and not isinstance(context.client, MeteredWebClient):
            # With OAuth, Bolt builds a plain client per request: the listeners' calls are counted
            # too. With one token it hands every request the app's own client, counted already.
            context["client"] = metered(context.client)
        next()

    register_listeners(app, oauth=oauth is not None)
    return app
