"""Which Web API client sends a row: the one carrying its workspace's bot token."""

from __future__ import annotations

from typing import Protocol

from slack_sdk import WebClient

from workflow.installs import UNINSTALLED


class NotInstalled(Exception):
    """The workspace holds no bot token: it uninstalled the app, or never installed it."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"{UNINSTALLED} (no bot token for workspace {team_id})")
        self.team_id = team_id


class TeamClients(Protocol):
    """The client carrying a workspace's bot token; raises NotInstalled when it has none."""

    def for_team(self, team_id: str) -> WebClient: ...


class OneToken:
    """Single-workspace mode: SLACK_BOT_TOKEN for every row."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def for_team(self, team_id: str) -> WebClient:
        return self.client
