"""Fixtures for driving the bot as a team would."""

from __future__ import annotations

import pytest

from tests.bot.listeners.review_helpers import build_team
from tests.harness import BotServer


@pytest.fixture
def team(bot: BotServer) -> BotServer:
    """The bot, with reviewers and sign-off holders given their roles through `/aiteam`."""
    build_team(bot)
    return bot
