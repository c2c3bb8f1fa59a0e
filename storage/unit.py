"""The session of a unit of work that writes, and what storage's modules tell each other about it.

`Database.session()` opens a `UnitOfWork`; the query modules read and set its attributes rather
than passing flags through the session's untyped `info`. A read (`Database.read()`) is a plain
session: it queues nothing and takes no number.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session


class UnitOfWork(Session):
    def __init__(self, bind: Engine, *, side: Engine | None) -> None:
        super().__init__(bind, expire_on_commit=False)
        # PostgreSQL: the engine for short transactions taken on the side of this one (an
        # experiment's number, storage/experiments.py); None on SQLite, where they stay in it.
        self.side = side
        # Set when a delivery was queued or requeued: after the commit, the database wakes
        # the local worker (storage/deliveries.py).
        self.enqueued = False
        # The kinds of the deliveries queued, told to `Database.on_queued` after the commit.
        self.queued: list[str] = []


def side_engine(session: Session) -> Engine | None:
    """The engine for `session`'s side transactions; None when they stay in `session`."""
    return session.side if isinstance(session, UnitOfWork) else None


def mark_enqueued(session: Session, kind: str | None = None) -> None:
    """Say that `session` queued a delivery (of `kind`; None: requeued), so its commit wakes
    the local worker."""
    if isinstance(session, UnitOfWork):
        session.enqueued = True
        if kind is not None:
            session.queued.append(kind)
