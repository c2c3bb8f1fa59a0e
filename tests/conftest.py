"""Fixtures: databases (SQLite always, PostgreSQL when reachable), the fake Slack, the bot.

PostgreSQL comes from TEST_DATABASE_URL, else a server on localhost:5432 (database `test`).
Under CI (CI=true) an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from storage.db import Database
from tests.fakeslack import FakeSlack
from tests.harness import BotServer
from tests.mlflow_server import mlflow_server

__all__ = ["mlflow_server"]

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@localhost:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_reachable(url: str) -> str | None:
    """None when reachable, else why not."""
    try:
        probe = Database(url, connect_args={"connect_timeout": 3})
        probe.ping()
        probe.dispose()
        return None
    except Exception as error:
        return str(error).splitlines()[0]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once; dropped at the end."""
    problem = _pg_reachable(PG_URL)
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but unreachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {problem}")
    name = f"aiteam_test_{uuid.uuid4().hex[:10]}"
    admin = Database(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    Database(url).migrate()
    try:
        yield url
    finally:
        with admin.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sqlite(tmp_path_factory: pytest.TempPathFactory) -> Database:
    path = tmp_path_factory.mktemp("db") / "test.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    return db


def _postgres(url: str) -> Database:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return db


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        database = _sqlite(tmp_path_factory)
    else:
        database = _postgres(request.getfixturevalue("pg_database"))
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = _sqlite(tmp_path_factory)
    yield database
    database.dispose()


@pytest.fixture
def bot_db(sqlite_db: Database) -> Database:
    """The database the bot fixture uses; a module overrides this with `db` to run on both."""
    return sqlite_db


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def bot_settings() -> dict[str, object]:
    """Settings overrides for the bot fixture; override in a module or test to change them."""
    return {}


@pytest.fixture
def bot(slack: FakeSlack, bot_db: Database, bot_settings: dict[str, object]) -> Iterator[BotServer]:
    server = BotServer(slack, bot_db, **bot_settings).start()
    yield server
    server.stop()
