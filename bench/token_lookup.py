"""Benchmark: what finding a workspace's bot token costs each delivery under OAuth installs.

Every row a worker sends first reads its workspace's bot (`Installed.for_team`: one indexed
read of `slack_bots` on the read-only engine, then a client kept by token). This times that
lookup with many workspaces installed, against the single-token mode's nothing.

    .venv/bin/python -m bench.token_lookup [--workspaces 1000] [--lookups 5000] [--database-url ...]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time

from slack_sdk.oauth.installation_store import Bot

from bot.installs import Installed
from bot.settings import Settings
from storage.db import Database
from workflow import installs

CLIENT_ID = "1111.2222"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    db = Database(url)
    db.migrate()
    store = installs.installation_store(db, client_id=CLIENT_ID)
    teams = [f"T{i:08d}" for i in range(args.workspaces)]
    for team in teams:
        store.save_bot(
            Bot(
                app_id="A1",
                team_id=team,
                bot_token=f"xoxb-{team}",
                bot_id="B1",
                bot_user_id="U1",
                installed_at=time.time(),
            )
        )
    settings = Settings(_env_file=None, slack_client_id=CLIENT_ID, slack_client_secret="s", database_url=url)
    clients = Installed(settings, store)
    order = [random.choice(teams) for _ in range(args.lookups)]
    started = time.perf_counter()
    for team in order:
        clients.for_team(team)
    elapsed = time.perf_counter() - started
    print(
        f"{db.engine.dialect.name}: {args.workspaces} workspaces installed, {args.lookups} lookups: "
        f"{elapsed / args.lookups * 1e6:.0f} µs per delivery's token lookup"
    )
    db.dispose()


if __name__ == "__main__":
    main()
