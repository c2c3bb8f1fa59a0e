"""Taking turns to write to SQLite: people before background work, background never starved,
and one writer across processes through the lock file."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable

from storage.db import Database, _WriteTurns


def _queued(db: Database, count: int) -> None:
    """Wait until `count` units of work are queued behind the one holding the turn."""
    assert db._turns is not None
    deadline = time.monotonic() + 5
    while len(db._turns._waiting) < count:
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.005)


def _turns_taken(db: Database, queue: list[tuple[str, bool]]) -> list[str]:
    """Hold the turn, queue `queue` (name, background) in that order, release; the order they ran."""
    entered: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.session():
            holding.set()
            release.wait(5)

    def unit(name: str, background: bool) -> Callable[[], None]:
        def run() -> None:
            with db.session(background=background):
                entered.append(name)

        return run

    threads = [threading.Thread(target=hold)]
    threads[0].start()
    assert holding.wait(5)
    for i, (name, background) in enumerate(queue):
        thread = threading.Thread(target=unit(name, background))
        thread.start()
        threads.append(thread)
        _queued(db, i + 1)
    release.set()
    for thread in threads:
        thread.join(5)
    return entered


def test_someone_waiting_writes_before_background_work(sqlite_db: Database) -> None:
    order = _turns_taken(sqlite_db, [("delivery", True), ("ack 1", False), ("ack 2", False)])
    assert order == ["ack 1", "ack 2", "delivery"]


def test_background_work_gets_a_turn_in_a_burst(sqlite_db: Database) -> None:
    queue = [("delivery", True), *((f"ack {i}", False) for i in range(1, 6))]
    order = _turns_taken(sqlite_db, queue)
    every = _WriteTurns.BACKGROUND_EVERY
    assert order.index("delivery") == every - 1
    assert [n for n in order if n != "delivery"] == [f"ack {i}" for i in range(1, 6)]  # arrival order


def test_a_thread_holding_the_turn_may_open_another_unit_of_work(sqlite_db: Database) -> None:
    done = threading.Event()

    def nested() -> None:
        with sqlite_db.session(), sqlite_db.session(background=True):
            done.set()

    thread = threading.Thread(target=nested)
    thread.start()
    thread.join(5)
    assert done.is_set()


def test_a_unit_of_work_holds_the_lock_file_other_processes_wait_on(sqlite_db: Database) -> None:
    path = sqlite_db.url.removeprefix("sqlite:///") + ".writer-lock"

    def free() -> bool:
        # A separate open file is locked as another process would lock it.
        with open(path, "ab") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(other, fcntl.LOCK_UN)
            return True

    with sqlite_db.session():
        assert not free()
    assert free()
    with sqlite_db.read():
        assert free()  # readers never take a turn
