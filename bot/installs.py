"""Installs in many workspaces: the OAuth flow, and which bot token a call for a workspace uses.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, workspaces install the app at
`GET /slack/install`, Slack sends them back to `/slack/oauth_redirect`, and slack_sdk's
installation store keeps each workspace's bot token in the bot's database. Bolt's authorize
finds the token of each request's workspace there; the delivery workers ask `TeamClients` for
the client of each row's workspace. Without them, one SLACK_BOT_TOKEN serves the one workspace,
as before.

Expiring tokens (`token_rotation_enabled` in the app settings) are refreshed through the store
by slack_sdk's token rotator, on requests (Bolt's authorize) and deliveries (`Installed`) alike,
some minutes before they expire.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from bot import pages
from bot.delivery.clients import NotInstalled, OneToken, TeamClients
from bot.scopes import BOT_SCOPES
from bot.settings import Settings
from bot.slack import make_delivery_client
from storage.db import Database
from workflow import installs

log = logging.getLogger("bot.installs")

# A refresh this long before a rotating token expires (Bolt's default), so none expires mid-call.
ROTATE_MINUTES_BEFORE_EXPIRY = 120
# How long an installer has between "Add to Slack" and coming back (Bolt's default).
STATE_EXPIRATION_SECONDS = 600
# Clients kept by token: every delivery of a workspace shares one instead of building its own.
CLIENTS_KEPT = 1000


class Installed:
    """OAuth mode: each workspace's token from its installation, refreshed when it rotates."""

    def __init__(self, settings: Settings, store: installs.InstallationStore) -> None:
        self.settings = settings
        self.store = store
        client_id, client_secret = _credentials(settings)
        self.rotator = TokenRotator(
            client_id=client_id, client_secret=client_secret, client=make_delivery_client(settings)
        )
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    def token(self, team_id: str) -> str:
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise NotInstalled(team_id)
        if bot.bot_refresh_token is not None:
            refreshed = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE_EXPIRY
            )
            if refreshed is not None:
                self.store.save_bot(refreshed)
                bot = refreshed
        return str(bot.bot_token)

    def for_team(self, team_id: str) -> WebClient:
        token = self.token(team_id)
        with self._lock:
            client = self._clients.get(token)
            if client is None:
                if len(self._clients) >= CLIENTS_KEPT:
                    self._clients.clear()  # rotated tokens' clients: rebuilt on demand
                client = self._clients[token] = make_delivery_client(self.settings, token)
            return client


def _credentials(settings: Settings) -> tuple[str, str]:
    settings.require("slack_client_id", "slack_client_secret")
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    return settings.slack_client_id, settings.slack_client_secret.get_secret_value()


def team_clients(settings: Settings, db: Database) -> TeamClients:
    """What the delivery workers send with: one token, or each workspace's own."""
    if settings.oauth:
        client_id, _ = _credentials(settings)
        return Installed(settings, installs.installation_store(db, client_id=client_id))
    return OneToken(make_delivery_client(settings))


def oauth_settings(settings: Settings, db: Database, client: WebClient) -> OAuthSettings:
    """Bolt's OAuth flow on the bot's database, asking for the scopes manifest.yml asks for."""
    client_id, client_secret = _credentials(settings)
    store = installs.installation_store(db, client_id=client_id)

    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        team_id = str(installation.team_id)
        with db.session() as session:
            again = installs.installed(session, team_id=team_id, installer_id=installation.user_id)
        log.info("app_installed team=%s again=%s", team_id, str(again).lower())
        html = pages.installed(
            team_name=installation.team_name or team_id, team_id=team_id, app_id=installation.app_id or ""
        )
        return _page(200, html)

    def failure(args: FailureArgs) -> BoltResponse:
        log.warning("install_failed reason=%s error=%s", args.reason, args.error)
        return _page(args.suggested_status_code, pages.install_failed(args.reason, retry=oauth.install_path))

    oauth = OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        installation_store=store,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE_EXPIRY,
        state_store=installs.state_store(db, expiration_seconds=STATE_EXPIRATION_SECONDS),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        callback_options=CallbackOptions(success=success, failure=failure),
    )
    # OAuthSettings builds an authorize whose token rotator calls slack.com, whatever
    # SLACK_API_URL says; this one refreshes through the app's client. `cache_enabled` asks
    # Slack who a token belongs to (`auth.test`) once per token and process, not per request.
    oauth.authorize = InstallationStoreAuthorize(
        logger=log,
        installation_store=store,
        client_id=client_id,
        client_secret=client_secret,
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE_EXPIRY,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
    return oauth


def _page(status: int, html: str) -> BoltResponse:
    return BoltResponse(status=status, body=html, headers={"Content-Type": "text/html; charset=utf-8"})
