"""`python -m bot mlflow webhook [--url URL]`: register, or show, the webhook MLflow's model
registry calls the bot with (`POST /mlflow/webhook`, signed with MLFLOW_WEBHOOK_SECRET)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.mlflow_webhook import PATH
from bot.services import mlflow_of
from bot.settings import Settings
from mlplatform.client import WEBHOOK_EVENTS, Mlflow, WebhookFacts
from mlplatform.errors import PlatformError

# The name the bot registers its webhook under: found again by it (or by its URL) to update it.
WEBHOOK_NAME = "ai-team-bot"
EXAMPLE_URL = f"https://bot.example.com{PATH}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("webhook",), help="webhook: the registry's webhook to the bot")
    parser.add_argument(
        "--url",
        help=f"register (or update) the webhook to call the bot's web process at this URL, ending in "
        f"{PATH} (e.g. {EXAMPLE_URL}); without it, show what is registered",
    )


def quiet_retries() -> None:
    """MLflow's client warns through urllib3 before each retry; the one line the command prints
    when the server does not answer says all of it."""
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


def bots_webhook(found: Sequence[WebhookFacts]) -> tuple[WebhookFacts | None, str | None]:
    """The registered webhook that calls the bot, and what is wrong with it (None: nothing).

    The bot's public address is known only to whoever deploys it, so "calls the bot" means a URL
    ending in the path the web process serves."""
    candidates = [w for w in found if w.url.rstrip("/").endswith(PATH)]
    if not candidates:
        return None, f"no webhook calls …{PATH}"
    for webhook in candidates:
        if not _flaws(webhook):
            return webhook, None
    return candidates[0], "; ".join(f"`{w.name}` ({w.url}) {' and '.join(_flaws(w))}" for w in candidates)


def _flaws(webhook: WebhookFacts) -> list[str]:
    flaws = []
    if webhook.status != "ACTIVE":
        flaws.append(f"is {webhook.status.lower()}")
    missing = sorted(set(WEBHOOK_EVENTS) - set(webhook.events))
    if missing:
        flaws.append(f"lacks the events {', '.join(missing)}")
    return flaws


def describe(webhook: WebhookFacts) -> str:
    return f"`{webhook.name}` → {webhook.url}, {webhook.status.lower()}, events: {', '.join(webhook.events)}"


def run(settings: Settings, args: argparse.Namespace) -> int:
    """0 when the bot's webhook is (now) registered as it should be; 1 otherwise."""
    settings.require("mlflow_tracking_uri")
    mlflow = mlflow_of(settings)
    assert mlflow is not None
    quiet_retries()
    try:
        if args.url:
            return _register(mlflow, settings, args.url)
        return _show(mlflow)
    except PlatformError as error:
        print(f"error: {error} (MLFLOW_TRACKING_URI={mlflow.tracking_uri})", file=sys.stderr)
        return 1


def _show(mlflow: Mlflow) -> int:
    found = mlflow.webhooks()
    for webhook in found:
        print(describe(webhook))
    ours, problem = bots_webhook(found)
    if problem is None and ours is not None:
        print(f"the bot's webhook is registered: `{ours.name}`")
        return 0
    print(f"{problem}: register it with `python -m bot mlflow webhook --url {EXAMPLE_URL}`")
    return 1


def _register(mlflow: Mlflow, settings: Settings, url: str) -> int:
    secret = settings.secret("mlflow_webhook_secret")
    url = url.strip()
    if not url.startswith(("http://", "https://")) or not url.rstrip("/").endswith(PATH):
        print(
            f"error: --url must be the bot's web address ending in {PATH}, e.g. {EXAMPLE_URL}",
            file=sys.stderr,
        )
        return 1
    found = mlflow.webhooks()
    same = [w for w in found if w.name == WEBHOOK_NAME] or [w for w in found if w.url == url]
    if same:
        webhook = mlflow.update_webhook(same[0].webhook_id, url=url, secret=secret, events=WEBHOOK_EVENTS)
        print(f"updated {describe(webhook)}")
    else:
        webhook = mlflow.create_webhook(name=WEBHOOK_NAME, url=url, secret=secret, events=WEBHOOK_EVENTS)
        print(f"registered {describe(webhook)}")
    return 0
