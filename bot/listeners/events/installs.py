"""A workspace uninstalled the app, or revoked its bot token: forget it and stop what it was owed."""

from __future__ import annotations

import logging
from typing import Any

from bot.services import services_of
from storage.types import utcnow
from workflow import installs

log = logging.getLogger("bot.installs")


def app_uninstalled(event: dict[str, Any], context: Any) -> None:
    _uninstalled(context, why="app_uninstalled")


def tokens_revoked(event: dict[str, Any], context: Any) -> None:
    # Only the bot token matters: the app asks for no user scopes, so holds no user tokens.
    if event.get("tokens", {}).get("bot"):
        _uninstalled(context, why="tokens_revoked")


def _uninstalled(context: Any, *, why: str) -> None:
    services = services_of(context)
    team_id = context.get("team_id")
    if not team_id:
        log.warning("%s without a team id: ignored (org-wide installs are not supported)", why)
        return
    with services.db.session() as session:
        done = installs.uninstalled(
            session, team_id=team_id, now=utcnow(), data=services.settings.data_on_uninstall
        )
    log.info(
        "%s team=%s tokens_forgotten=%s deliveries_stopped=%s rows_deleted=%s",
        why,
        team_id,
        done.tokens,
        done.stopped,
        sum(done.deleted.values()),
    )
