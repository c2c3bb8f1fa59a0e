"""Publishing the App Home tab when a user opens it."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_sdk import WebClient

from bot.blocks.home import home_view
from bot.services import services_of
from workflow.home import home


def app_home_opened(event: dict[str, Any], client: WebClient, context: Any, logger: Logger) -> None:
    if event.get("tab") != "home":
        return
    team_id = context.get("team_id") or event.get("view", {}).get("team_id")
    user_id = event["user"]
    services = services_of(context)
    with services.db.session() as session:
        shown = home(session, team_id=team_id, user_id=user_id, policy=services.policy)
    client.views_publish(
        user_id=user_id,
        view=home_view(
            user_id=user_id, waiting=shown.waiting, mine=list(shown.mine), recent=list(shown.recent)
        ),
    )
