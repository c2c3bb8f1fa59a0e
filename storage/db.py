"""Engine, sessions and migrations.

One `Database` per process; one session per unit of work (a request, a scheduler pass),
never shared across threads. A unit of work commits as a whole or not at all, so a state
change and its audit record land together.

`session()` is a unit of work that writes; `read()` one that only reads. On SQLite the
difference matters: a writer takes the write lock when it begins (`BEGIN IMMEDIATE`, so a
read-then-write never fails with "database is locked"), while a reader begins deferred and,
in WAL mode, never waits for a writer nor holds one up.

SQLite runs in WAL mode with `synchronous=NORMAL`: a commit is durable against a crash of
the process, and a power loss can lose only the last transactions, never corrupt the file
(a change and the deliveries it queued are lost together). SQLite checkpoints the WAL into
the database every 1000 pages by itself; `journal_size_limit` truncates the WAL file after a
checkpoint so a burst does not leave it large.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from storage.deliveries import ENQUEUED

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


# Where a unit of work finds the engine for its side transactions (see Database._side).
SIDE_ENGINE = "side_engine"
# Execution option that marks a read-only unit of work.
_READ_ONLY = "aiteam_read_only"


def make_engine(url: str, *, pool_size: int | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and write-locking BEGINs.

    `pool_size` is how many connections the process may hold at once (its threads that use
    the database); beyond it a thread waits for one rather than opening more.
    """
    parsed = make_url(url)
    if pool_size is not None and parsed.database not in (None, "", ":memory:"):
        # A little overflow: a PostgreSQL proposal briefly holds a second connection to take its
        # number (storage/experiments.py).
        kwargs = {"pool_size": pool_size, "max_overflow": 4, "pool_timeout": 30, **kwargs}
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)

    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes can fail with "database is locked"
        # when another writer got there first; taking the write lock up front makes concurrent
        # units of work queue instead of fail. Readers never write, so they need no lock.
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        options: dict[str, Any] = {_READ_ONLY: True}
        if not self.is_sqlite:
            options["postgresql_readonly"] = True
        self._reader = self.engine.execution_options(**options)
        self._on_enqueue: list[Callable[[], None]] = []
        # SQLite lets one writer in at a time and makes the others poll with growing sleeps (up
        # to 100 ms each), first come not first served. Writers of one process queue here
        # instead, in order, so SQLite only arbitrates between processes.
        self._writer = threading.RLock() if self.is_sqlite else contextlib.nullcontext()
        # PostgreSQL: a small pool of its own for the short, independent transactions a unit of
        # work takes on the side (an experiment's number). Drawn from the main pool, a thread
        # holding one connection and waiting for a second could wait for ever once every
        # connection is held by such a thread.
        self._side = (
            None if self.is_sqlite else create_engine(url, pool_size=2, max_overflow=8, pool_pre_ping=True)
        )

    def on_enqueue(self, callback: Callable[[], None]) -> None:
        """Call `callback` after any unit of work that queued a delivery has committed."""
        self._on_enqueue.append(callback)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception."""
        with self._writer, Session(self.engine, expire_on_commit=False) as session:
            session.info[SIDE_ENGINE] = self._side
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
        if session.info.get(ENQUEUED):
            for callback in self._on_enqueue:
                callback()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads: never takes SQLite's write lock; refused writes on PostgreSQL."""
        # Closing (not rolling back) ends the transaction and keeps what was loaded readable.
        with Session(self._reader, expire_on_commit=False) as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` with Alembic."""
        from alembic import command  # only the processes that migrate load Alembic

        command.upgrade(alembic_config(self.url), revision)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._side is not None:
            self._side.dispose()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser treats % as interpolation; passwords may contain it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
