"""The soak's database: a fresh one per run, read by the traffic and the checks (never written),
and on PostgreSQL the means to cut every bot connection at once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from bench import databases
from bot.settings import normalise_database_url

# Connections the soak itself opens carry this name, so cutting the bot's leaves them alone.
APPLICATION_NAME = "bench-soak"


class SoakDatabase:
    def __init__(self, url: str, admin_url: str | None) -> None:
        self.url = url  # what the bot is given
        self.admin_url = admin_url  # PostgreSQL: the server's URL the fresh database was made beside
        plain = normalise_database_url(url)
        args: dict[str, Any] = {}
        if self.postgres:
            args["connect_args"] = {"application_name": APPLICATION_NAME}
        self.engine: Engine = create_engine(plain, pool_pre_ping=True, **args)

    @classmethod
    def fresh(cls, workdir: Path, database_url: str | None, tag: str) -> SoakDatabase:
        if database_url:
            return cls(databases.create_fresh(database_url, tag), database_url)
        return cls(f"sqlite:///{workdir / 'soak.db'}", None)

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgres")

    @property
    def name(self) -> str:
        return "postgresql" if self.postgres else "sqlite"

    def rows(self, sql: str, **params: Any) -> Sequence[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def one(self, sql: str, **params: Any) -> Any:
        found = self.rows(sql, **params)
        return found[0] if found else None

    def terminate_bot_connections(self) -> int:
        """pg_terminate_backend on every connection to the bot's database but the soak's own."""
        database = make_url(normalise_database_url(self.url)).database
        found = self.rows(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db "
            "AND pid <> pg_backend_pid() AND coalesce(application_name, '') <> :mine",
            db=database,
            mine=APPLICATION_NAME,
        )
        return sum(1 for row in found if row[0])

    def close(self) -> None:
        self.engine.dispose()
        if self.admin_url:
            databases.drop(self.admin_url, self.url)
