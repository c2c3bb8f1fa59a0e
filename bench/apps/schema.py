"""The same-work baseline's one table, created before its server starts."""

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
)
"""


def create(path: str) -> None:
    """Create the table, in WAL mode as the bot's SQLite is."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(SCHEMA)
        db.commit()
