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
import fcntl
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from handover import Baton
from storage.unit import UnitOfWork

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


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


@dataclass
class _Waiter:
    thread: int
    background: bool
    ready: Baton = field(default_factory=Baton)


# For: SQLite writers queue in order (acks first) instead of polling SQLite's lock with sleeps.
# Measured (8b15031, bench.load A): ack p99 1.6 s -> 334 ms; throughput 0.26x -> 0.46x same-work.
class _WriteTurns:
    """Whose turn it is to write to SQLite, among this process's threads and the bot's processes.

    SQLite lets one writer in at a time and makes the others poll with growing sleeps (up to
    100 ms each), first come not first served: under load, a waiting process sleeps through
    many of another's transactions, and a waiting thread can lose to later ones again and
    again. So writers queue here instead:

    - In the process, turns go in arrival order, except that a unit of work someone waits for
      (an ack) goes before waiting background ones (a delivery's bookkeeping); those still get
      every `BACKGROUND_EVERY`-th turn, so cards keep flowing during a burst.
    - Across processes, a turn holds an exclusive `flock` on a file beside the database: the
      kernel wakes the next process as soon as it is released.

    A thread already holding the turn may open another unit of work (re-entrant).
    """

    BACKGROUND_EVERY = 3

    def __init__(self, lock_path: Path | None) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[_Waiter] = deque()
        self._foreground_streak = 0
        # Kept open while the database is in use (closed by `dispose`): the lock belongs to the
        # open file.
        self._file = open(lock_path, "ab") if lock_path is not None else None  # noqa: SIM115

    @contextmanager
    def turn(self, *, background: bool) -> Iterator[None]:
        me = threading.get_ident()
        waiter: _Waiter | None = None
        with self._mutex:
            if self._owner == me:
                self._depth += 1
            elif self._owner is None and not self._waiting:
                self._owner, self._depth = me, 1
            else:
                waiter = _Waiter(me, background)
                self._waiting.append(waiter)
        if waiter is not None:
            waiter.ready.take()  # the thread before us handed the turn over
        outermost = self._depth == 1
        try:
            if outermost and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if outermost and self._file is not None:
                    fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            with self._mutex:
                self._depth -= 1
                if self._depth == 0:
                    self._hand_over()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _hand_over(self) -> None:
        """Give the turn to the next waiter (called with the mutex held)."""
        if not self._waiting:
            self._owner = None
            return
        foreground = next((w for w in self._waiting if not w.background), None)
        background = next((w for w in self._waiting if w.background), None)
        chosen: _Waiter | None
        if foreground is not None and (
            background is None or self._foreground_streak < self.BACKGROUND_EVERY - 1
        ):
            chosen = foreground
            self._foreground_streak += background is not None
        else:
            chosen = background or foreground
            self._foreground_streak = 0
        assert chosen is not None
        self._waiting.remove(chosen)
        self._owner, self._depth = chosen.thread, 1
        chosen.ready.give()


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        options: dict[str, Any] = {_READ_ONLY: True}
        if not self.is_sqlite:
            options["postgresql_readonly"] = True
        self._reader = self.engine.execution_options(**options)
        self._on_enqueue: list[Callable[[], None]] = []
        self._on_queued: list[Callable[[Sequence[str]], None]] = []
        self._turns = _WriteTurns(_lock_path(url)) if self.is_sqlite else None
        # PostgreSQL: a small pool of its own for the short, independent transactions a unit of
        # work takes on the side (an experiment's number). Drawn from the main pool, a thread
        # holding one connection and waiting for a second could wait for ever once every
        # connection is held by such a thread.
        # Seen (164792d): in a 40-proposal burst on PostgreSQL every proposal waited out the 30 s
        # pool timeout. The dialect decides here, in storage; no caller chooses.
        self._side = (
            None if self.is_sqlite else create_engine(url, pool_size=2, max_overflow=8, pool_pre_ping=True)
        )

    @property
    def reader(self) -> Engine:
        """The engine of read-only units of work (see `read`), for code that takes an engine."""
        return self._reader

    @contextmanager
    def write_turn(self) -> Iterator[None]:
        """Hold this process's turn to write (SQLite) around writes made outside `session`, by code
        that takes an engine (slack_sdk's installation store)."""
        with self._turns.turn(background=False) if self._turns else contextlib.nullcontext():
            yield

    def on_enqueue(self, callback: Callable[[], None]) -> None:
        """Call `callback` after any unit of work that queued a delivery has committed."""
        self._on_enqueue.append(callback)

    def on_queued(self, callback: Callable[[Sequence[str]], None]) -> None:
        """Call `callback` with the kinds of the deliveries a unit of work queued, once committed."""
        self._on_queued.append(callback)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, background: bool = False) -> Iterator[UnitOfWork]:
        """A unit of work: commits on success, rolls back on any exception.

        `background`: nobody is waiting on it (a delivery's bookkeeping); on SQLite, units of
        work someone waits for write first (see `_WriteTurns`)."""
        turn = self._turns.turn(background=background) if self._turns else contextlib.nullcontext()
        with turn, UnitOfWork(self.engine, side=self._side) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
        if session.queued:
            for told in self._on_queued:
                told(session.queued)
        if session.enqueued:
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
        if self._turns is not None:
            self._turns.close()


def _lock_path(url: str) -> Path | None:
    """The file whose `flock` takes turns between processes: beside the database file."""
    database = make_url(url).database
    if database in (None, "", ":memory:") or database.startswith("file:"):
        return None
    return Path(f"{database}.writer-lock")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser treats % as interpolation; passwords may contain it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
