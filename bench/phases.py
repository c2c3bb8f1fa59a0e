"""Benchmark: the CPU time one proposal costs the bot, phase by phase, in one thread.

`bench.load` says how fast the bot is under load; this says where its CPU goes, without HTTP,
Bolt or other threads in the way: the checks and estimate before the write (`prepare`), the
write (`create`), the worker's claim, the send (render from the database and post to the fake
Slack on loopback; the fake Slack's own CPU is not counted) and the recorded outcome.

    .venv/bin/python -m bench.phases [--proposals 300] [--rounds 5] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

from bench import databases
from bot.delivery.clients import OneToken, TeamClients
from bot.delivery.sending import WorkerConfig, attempt, record_in
from bot.delivery.worker import claim
from bot.runtime import worker_config
from bot.settings import Settings
from bot.slack import make_delivery_client
from storage.db import Database
from storage.models import Delivery
from storage.types import utcnow
from tests.fakeslack import FakeSlack
from workflow import experiments

T = TypeVar("T")
WARM_UP = 30
PHASES = ("prepare", "create", "claim", "send", "record")


class Phases:
    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)

    def timed(self, phase: str, call: Callable[[], T]) -> T:
        start = time.thread_time()
        try:
            return call()
        finally:
            self.cpu[phase] += time.thread_time() - start


def propose_and_deliver(db: Database, settings: Settings, phases: Phases, number: int) -> None:
    client, config = OneToken(make_delivery_client(settings)), worker_config(settings)

    def prepare() -> experiments.Proposal:
        with db.read() as session:
            return experiments.prepare(
                session, team_id="TBENCH", owner_id="U1", hypothesis=f"Hypothesis {number}", channel_id="C1"
            )

    proposal = phases.timed("prepare", prepare)

    def create() -> None:
        with db.session() as session:
            experiments.create(session, proposal)

    phases.timed("create", create)
    # As the worker's loop claims when a commit woke it, between its looks for lapsed leases.
    rows = phases.timed(
        "claim",
        lambda: claim(db, config, worker="bench", now=utcnow(), limit=8, look_first=False, take_over=False),
    )
    for row in rows:
        send_and_record(db, client, config, phases, row)


def send_and_record(
    db: Database, client: TeamClients, config: WorkerConfig, phases: Phases, row: Delivery
) -> None:
    done = phases.timed("send", lambda: attempt(client, db, config, row, worker="bench", now=utcnow()))

    def record() -> None:
        with db.session(background=True) as session:
            record_in(session, done)

    phases.timed("record", record)


def run(args: argparse.Namespace, url: str) -> tuple[list[Phases], str]:
    slack = FakeSlack().start()
    settings = Settings(
        slack_bot_token="xoxb-bench",
        slack_signing_secret="bench",
        slack_api_url=slack.api_url,
        database_url=url,
        delivery_rate_per_channel=0,
    )
    db = Database(settings.database_url)
    db.migrate()
    try:
        for number in range(WARM_UP):
            propose_and_deliver(db, settings, Phases(), number)
        rounds = []
        for r in range(args.rounds):
            phases = Phases()
            first = WARM_UP + r * args.proposals
            for number in range(first, first + args.proposals):
                propose_and_deliver(db, settings, phases, number)
            rounds.append(phases)
        return rounds, db.engine.dialect.name
    finally:
        slack.stop()
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=300, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    # PostgreSQL: a fresh database beside the one named, dropped afterwards (as bench.load).
    fresh = databases.create_fresh(args.database_url, "phases") if args.database_url else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rounds, dialect = run(args, fresh or f"sqlite:///{tmp}/bench.db")
    finally:
        if fresh is not None:
            databases.drop(args.database_url, fresh)
    n = args.proposals
    print(
        f"database: {dialect}, {args.rounds} rounds of {n} proposals; CPU ms per "
        "proposal in this thread, the least of the rounds (the others had noise to add)"
    )
    for phase in PHASES:
        print(f"  {phase:<8} {min(p.cpu[phase] for p in rounds) * 1000 / n:6.3f}")
    print(f"  {'total':<8} {min(sum(p.cpu.values()) for p in rounds) * 1000 / n:6.3f}")


if __name__ == "__main__":
    main()
