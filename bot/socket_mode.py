"""Socket Mode: the same Bolt app, fed over a WebSocket instead of HTTP."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.services import Services
from bot.slack import create_app


def socket_mode_handler(services: Services) -> SocketModeHandler:
    """A handler for the app; `.start()` blocks, `.connect()` returns once connected.

    Requests arriving this way skip signature checks: the app-level token authenticates
    the connection itself.
    """
    app = create_app(services, http=False)
    return SocketModeHandler(app, services.settings.secret("slack_app_token"))
