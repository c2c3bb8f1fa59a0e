"""The scheduler-driven bot on both databases: no delivery worker; `tick(now)` passes and sends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.db import Database
from tests.bot.listeners.scheduled import Tick, scheduler_pass
from tests.fakeslack import FakeSlack
from tests.harness import BotServer


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


@pytest.fixture
def bot(slack: FakeSlack, bot_db: Database) -> Iterator[BotServer]:
    server = BotServer(slack, bot_db).start(deliver=False)
    yield server
    server.stop()


@pytest.fixture
def tick(bot: BotServer) -> Tick:
    return scheduler_pass(bot)
