"""Events API listeners."""

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.listeners.events import app_home, installs, links

# Each event the bot listens to; manifest.yml subscribes to exactly these (a test checks).
BOT_EVENTS: dict[str, Callable[..., Any]] = {
    "app_home_opened": app_home.app_home_opened,
    "link_shared": links.link_shared,
}
# Installed in many workspaces (docs/installing.md), also these: the manifest names them in a comment.
OAUTH_EVENTS: dict[str, Callable[..., Any]] = {
    "app_uninstalled": installs.app_uninstalled,
    "tokens_revoked": installs.tokens_revoked,
}


def register(app: App, *, oauth: bool = False) -> None:
    for event, listener in (BOT_EVENTS | OAUTH_EVENTS if oauth else BOT_EVENTS).items():
        app.event(event)(listener)
