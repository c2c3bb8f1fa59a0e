"""Publishing the App Home tab when a user opens it."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_sdk import WebClient

from bot.blocks.home import home_view
from bot.services import services_of
from storage import experiments as queries
from workflow import vocabulary as v
from workflow.waiting import waiting_on


def app_home_opened(event: dict[str, Any], client: WebClient, context: Any, logger: Logger) -> None:
    if event.get("tab") != "home":
        return
    team_id = context.get("team_id") or event.get("view", {}).get("team_id")
    user_id = event["user"]
    open_statuses = [s for s in v.STATUSES if s not in v.CLOSED_STATUSES]
    services = services_of(context)
    with services.db.session() as session:
        waiting = waiting_on(session, team_id=team_id, user_id=user_id, policy=services.policy)
        mine, _ = queries.list_for_team(
            session, team_id=team_id, owner_id=user_id, statuses=open_statuses, limit=10
        )
        recent, _ = queries.list_for_team(session, team_id=team_id, limit=10)
    client.views_publish(
        user_id=user_id,
        view=home_view(user_id=user_id, waiting=waiting, mine=list(mine), recent=list(recent)),
    )
