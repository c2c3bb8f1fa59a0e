"""Tests of what the scheduler drives (standups, retros, project reminders): the bot runs no
delivery worker of its own; each `tick(now)` (see conftest.py) runs a scheduler pass at `now` and
then sends what is due at that time, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.delivery.worker import drain
from bot.installs import team_clients
from bot.runtime import worker_config
from bot.scheduler import run_once
from tests.harness import BotServer
from workflow.tick import PassReport

Tick = Callable[[datetime], PassReport]


def scheduler_pass(bot: BotServer) -> Tick:
    """A pass at the given time, then the deliveries due then (as `python -m bot tick` does)."""
    client = team_clients(bot.settings, bot.db)
    config = worker_config(bot.settings)

    def run(now: datetime) -> PassReport:
        report = run_once(bot.settings, bot.db, now=now)
        drain(client, bot.db, config, now=now, clock=lambda: now)
        return report

    return run
