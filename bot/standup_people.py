"""Who a standup asks, looked up in Slack, with each person's timezone (`users.info` `tz`)."""

from __future__ import annotations

from slack_sdk import WebClient

from workflow import standups


def _infos(client: WebClient, user_ids: list[str]) -> list[dict]:
    return [client.users_info(user=user_id)["user"] for user_id in dict.fromkeys(user_ids)]


def channel_humans(client: WebClient, channel_id: str) -> dict[str, str | None]:
    """The channel's members who are people (no bots, no deactivated accounts), with their tz."""
    members: list[str] = []
    cursor = None
    while True:
        page = client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
        members += page.get("members") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    infos = _infos(client, members)
    people = set(standups.humans(infos))
    return {info["id"]: info.get("tz") for info in infos if info["id"] in people}


def with_zones(client: WebClient, user_ids: list[str]) -> dict[str, str | None]:
    """An explicit list of participants, with their tz."""
    return {info["id"]: info.get("tz") for info in _infos(client, user_ids)}


def look_up(client: WebClient, *, channel_id: str, explicit: list[str]) -> dict[str, str | None]:
    return with_zones(client, explicit) if explicit else channel_humans(client, channel_id)
