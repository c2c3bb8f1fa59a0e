"""Building the Bolt app and its Web API clients."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.listeners import register_listeners
from bot.services import Services
from bot.settings import Settings


def make_client(settings: Settings) -> WebClient:
    """The client for calls made while someone waits (a modal, a lookup, a private answer): it
    waits out a short HTTP 429 and retries a failed connection once or twice.

    Bolt copies `base_url` and the retry handlers into the clients it gives listeners.
    """
    return WebClient(
        token=settings.secret("slack_bot_token"),
        base_url=settings.slack_api_url,
        timeout=int(settings.slack_timeout_seconds),
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1),
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def make_delivery_client(settings: Settings) -> WebClient:
    """The client of the delivery workers: no retries of its own. The queue retries, pausing only
    the channel a 429 names, and never re-sends a post inside one attempt (which could post twice)."""
    return WebClient(
        token=settings.secret("slack_bot_token"),
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
    """
    settings = services.settings
    signing_secret = settings.secret("slack_signing_secret") if http else None
    app = App(
        client=make_client(settings),
        signing_secret=signing_secret or "",
        request_verification_enabled=http,
        process_before_response=True,
        logger=logging.getLogger("bot"),
    )

    @app.middleware
    def inject_services(context: BoltContext, next: Any) -> None:
        context["services"] = services
        next()

    register_listeners(app)
    return app
