"""Running a conditional UPDATE or DELETE and learning how many rows it changed."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult
from sqlalchemy.sql import Executable
from sqlmodel import Session


def rows_changed(session: Session, statement: Executable) -> int:
    """Run `statement` in the session's transaction; how many rows it updated or deleted (the
    conditional updates that claim a step read this to know whether they won)."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount
