"""Benchmark: how fast the bot answers slash commands and clicks, end to end over signed HTTP.

Slack shows the user an error if a command or click is not acknowledged within 3 s; this prints
the latency distribution of the real path (signature check, routing, database, ack) against the
fake Slack on loopback, the time until a review click's card and thread updates are all sent,
and the process's peak memory.

    .venv/bin/python -m bench.commands [--requests 200] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable

from bot import ids
from storage import roles
from storage.db import Database
from tests.fakeslack import FakeSlack
from tests.harness import BotServer, Response, all_text


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


def _bench_review_clicks(bot: BotServer, db: Database, team: str, n: int) -> None:
    with db.session() as session:
        roles.grant(session, team_id=team, user_id="UTECH", role="technical_reviewer", granted_by="UB")
        roles.grant(session, team_id=team, user_id="UETHICS", role="ethics_reviewer", granted_by="UB")
    review_ts = {}
    for (channel, ts), message in list(bot.slack.messages.items()):
        text = all_text(message.get("blocks"))
        if message.get("thread_ts") and "is up for review" in text:
            review_ts[int(text.split("EXP-")[1].split(" ")[0])] = (channel, ts)

    def click(i: int, user: str, kind: str, settle: bool) -> Response:
        channel, ts = review_ts[i + 1]
        return bot.click(
            channel, ts, ids.REVIEW_APPROVE, user=user, value=f"{i + 1}:{kind}", team=team, settle=settle
        )

    _measure("review Approve click (ack)", n, lambda i: click(i, "UTECH", "technical", False))
    bot.settle()
    _measure("review Approve (until card+thread)", n, lambda i: click(i, "UETHICS", "ethics", True))


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
            # settle=False: the figure is the ack Slack waits for, not the card posted after it.
            _measure(
                "/experiment propose <text> (ack)",
                n,
                lambda i: bot.command("/experiment", f"propose H{i}", team=team, settle=False),
            )
            bot.settle()
            _measure(
                f"/experiment list (of {n})",
                n,
                lambda i: bot.command("/experiment", "list", team=team, settle=False),
            )
            _measure(
                "/experiment show EXP-n",
                n,
                lambda i: bot.command("/experiment", f"show EXP-{i + 1}", team=team, settle=False),
            )
            _measure(
                "/experiment submit (until thread)",
                n,
                lambda i: bot.command("/experiment", f"submit EXP-{i + 1} eval: https://x", team=team),
            )
            _bench_review_clicks(bot, db, team, n)
        finally:
            bot.stop()
            slack.stop()
            db.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (bot + fake Slack + client): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
