"""Benchmark: how fast the bot answers slash commands, end to end over signed HTTP.

Slack shows the user an error if a command is not acknowledged within 3 s; this prints the
latency distribution of the real path (signature check, routing, database, ack) against the
fake Slack on loopback, and the process's peak memory.

    .venv/bin/python -m bench.commands [--requests 200] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable

from storage.db import Database
from tests.fakeslack import FakeSlack
from tests.harness import BotServer, Response


def _measure(label: str, n: int, call: Callable[[int], Response]) -> None:
    timings = []
    for i in range(n):
        start = time.perf_counter()
        reply = call(i)
        timings.append((time.perf_counter() - start) * 1000)
        assert reply.status == 200, reply.body
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"{label:<34} n={n:<5} p50={statistics.median(timings):7.1f} ms  p95={p95:7.1f} ms  "
        f"max={timings[-1]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.database_url or f"sqlite:///{tmp}/bench.db")
        db.migrate()
        slack = FakeSlack().start()
        bot = BotServer(slack, db).start()
        team = f"TBENCH{int(time.time())}"
        try:
            n = args.requests
            print(f"database: {db.engine.dialect.name}")
            _measure(
                "/experiment propose <text>",
                n,
                lambda i: bot.command("/experiment", f"propose H{i}", team=team),
            )
            slack.wait_for("chat.postMessage", n, timeout=60)
            _measure(f"/experiment list (of {n})", n, lambda i: bot.command("/experiment", "list", team=team))
            _measure(
                "/experiment show EXP-n",
                n,
                lambda i: bot.command("/experiment", f"show EXP-{i + 1}", team=team),
            )
        finally:
            bot.stop()
            slack.stop()
            db.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (bot + fake Slack + client): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
