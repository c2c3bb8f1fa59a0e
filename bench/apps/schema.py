"""The baselines' tables, created before their server starts: the experiment (both), and the
outbox baseline's queue of cards to post."""

from __future__ import annotations

import sqlite3
from contextlib import closing

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiment (
    id INTEGER PRIMARY KEY,
    team_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    hypothesis TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'proposed',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    card_ts TEXT,
    UNIQUE (team_id, number)
);
-- A card owed to Slack (bench/apps/outbox.py): due when next_at (time.time()) has passed. A
-- claim moves next_at to the end of its lease, a failure to the retry, a post deletes the row.
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiment (id),
    next_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_at);
"""


def create(path: str) -> None:
    """Create the tables, in WAL mode as the bot's SQLite is."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        db.commit()
