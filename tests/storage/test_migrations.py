"""Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import Database


def test_migrated_schema_matches_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata
        )
    assert diff == [], f"models and migrations disagree: {diff}"


def test_migrate_is_idempotent(db: Database) -> None:
    db.migrate()
    db.migrate()
    assert "experiment" in inspect(db.engine).get_table_names()


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
