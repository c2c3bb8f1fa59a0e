"""Building the Bolt app and its Web API client."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.listeners import register_listeners
from bot.services import Services
from bot.settings import Settings


def make_client(settings: Settings) -> WebClient:
    """A WebClient that waits out HTTP 429 (Retry-After) and retries transient failures.

    Bolt copies `base_url` and the retry handlers into the clients it gives listeners.
    """
    return WebClient(
        token=settings.secret("slack_bot_token"),
        base_url=settings.slack_api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(services: Services, *, http: bool = True, listener_executor: Executor | None = None) -> App:
    """The Bolt app with every listener registered.

    `http=True` verifies Slack's request signatures (HTTP mode); Socket Mode needs no secret.
    Listeners run on `listener_executor` after their ack (Bolt's own pool when None).
    """
    settings = services.settings
    signing_secret = settings.secret("slack_signing_secret") if http else None
    app = App(
        client=make_client(settings),
        signing_secret=signing_secret or "",
        request_verification_enabled=http,
        logger=logging.getLogger("bot"),
        listener_executor=listener_executor,
    )

    @app.middleware
    def inject_services(context: BoltContext, next: Any) -> None:
        context["services"] = services
        next()

    register_listeners(app)
    return app
