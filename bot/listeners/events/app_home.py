"""The App Home tab: opening it queues publishing it, rendered from the database when sent."""

from __future__ import annotations

from typing import Any

from bot.services import services_of
from workflow import delivery


def app_home_opened(event: dict[str, Any], context: Any) -> None:
    if event.get("tab") != "home":
        return
    team_id = context.get("team_id") or event.get("view", {}).get("team_id")
    with services_of(context).db.session() as session:
        delivery.refresh_home(session, team_id=team_id, user_id=event["user"])
