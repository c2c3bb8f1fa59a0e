"""Fixtures for driving the bot as a team would."""

from __future__ import annotations

import pytest

from tests.harness import BotServer
from tests.listeners.review_helpers import build_team


@pytest.fixture
def team(bot: BotServer) -> BotServer:
    """The bot, with reviewers and sign-off holders given their roles through `/aiteam`."""
    build_team(bot)
    return bot
