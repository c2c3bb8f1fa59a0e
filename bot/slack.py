"""Building the Bolt app and its Web API client."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.listeners import register_listeners
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
    logger = logging.getLogger("bot")
    logger.addFilter(_no_token_skipped_warning)  # once: addFilter ignores a filter already there
    app = App(
        client=make_client(settings),
        signing_secret=signing_secret or "",
        request_verification_enabled=http,
        # `python -m bot` checked the token once before starting (bot/preflight.py); Bolt's own
        # check would call auth.test in every gunicorn worker and crash it on a bad token.
        # Bolt then calls auth.test on the first request instead.
        token_verification_enabled=False,
        logger=logger,
        listener_executor=listener_executor,
    )

    @app.middleware
    def inject_services(context: BoltContext, next: Any) -> None:
        context["services"] = services
        next()

    register_listeners(app)
    return app
