"""Deliveries that failed for good, and what caused each: the permanent refusals the fake Slack
served (a channel gone, a post too long) while a scheduled fault was on. The checks read this
twice: a failure nothing scheduled explains is a bug, and a card, reply or reminder Slack lacks
(or shows out of date) is accounted for only by an explained failure of the row that owed it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.soak.database import SoakDatabase
from bench.soak.faults import Fault

# A refusal is served before the bot records the outcome; allow for the clocks of two processes.
SLACK_CLOCK = 1.0
# A `python -m bot deliveries` line: the row's id, then its state.
LISTED = re.compile(r"^\s*(\d+)\s+(\S+)\s", re.MULTILINE)


def _utc(value: Any) -> datetime:
    """A database time as UTC (SQLite hands it back naive, or as text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Failed:
    id: int
    kind: str
    subject_id: int | None
    channel_id: str | None
    error: str
    args: dict[str, Any]
    created: float
    finished: float
    cause: Fault | None = None  # the scheduled fault whose refusal made it fail, if any

    def describe(self) -> str:
        return f"#{self.id} {self.kind} in {self.channel_id or '-'}: {self.error}"


class Failures:
    """What failed for good after the drain, and what the newest row of each subject ended as."""

    def __init__(
        self, db: SoakDatabase, refusals: Sequence[dict[str, Any]], faults: Sequence[Fault], listing: str
    ) -> None:
        self.rows: list[Failed] = []
        # (kind, subject) -> the newest row's state and id: what Slack shows of it is its doing.
        self.newest: dict[tuple[str, int], tuple[int, str]] = {}
        for r in db.rows("SELECT id, kind, subject_id, state, attempts FROM delivery ORDER BY id"):
            # A row absorbed into an earlier one that was out (delivered, never tried) left its
            # work to that one: it is not what Slack shows.
            absorbed = r.state == "delivered" and r.attempts == 0
            if r.subject_id is not None and not absorbed:
                self.newest[(r.kind, r.subject_id)] = (r.id, r.state)
        for r in db.rows(
            "SELECT id, kind, subject_id, channel_id, last_error, args, created_at, updated_at "
            "FROM delivery WHERE state = 'failed' ORDER BY id"
        ):
            row = Failed(
                r.id,
                r.kind,
                r.subject_id,
                r.channel_id,
                r.last_error or "",
                json.loads(r.args) if r.args else {},
                _utc(r.created_at).timestamp(),
                _utc(r.updated_at).timestamp(),
            )
            row.cause = _cause(row, refusals, faults)
            self.rows.append(row)
        self.listed = {int(m.group(1)) for m in LISTED.finditer(listing) if m.group(2) == "failed"}

    def explained(self) -> list[Failed]:
        return [r for r in self.rows if r.cause is not None]

    def stuck(self, kind: str, subject_id: int) -> Failed | None:
        """The explained failure of the newest `kind` row about `subject_id`, if that row failed:
        then Slack lacks what it owed, or shows an older render, and rightly so."""
        newest = self.newest.get((kind, subject_id))
        if newest is None or newest[1] != "failed":
            return None
        return next((r for r in self.rows if r.id == newest[0] and r.cause is not None), None)

    def any_of(self, kind: str, subject_id: int, **args: str) -> Failed | None:
        """An explained failure of a `kind` row about `subject_id` whose arguments include `args`."""
        for r in self.rows:
            if (
                r.kind == kind
                and r.subject_id == subject_id
                and r.cause is not None
                and all(str(r.args.get(k)) == v for k, v in args.items())
            ):
                return r
        return None

    def by_error(self) -> Counter[str]:
        return Counter(r.error for r in self.rows)


def _cause(row: Failed, refusals: Sequence[dict[str, Any]], faults: Sequence[Fault]) -> Fault | None:
    """The scheduled fault that refused one of this row's calls with the error it recorded, while
    the row was out. A DM's row names no channel (it opens one): its refusal may be anywhere."""
    for refusal in refusals:
        if refusal["error"] != row.error:
            continue
        if row.channel_id is not None and refusal["channel"] != row.channel_id:
            continue
        if not row.created - SLACK_CLOCK <= refusal["at"] <= row.finished + SLACK_CLOCK:
            continue
        for fault in faults:
            if fault.explains(refusal["channel"], refusal["error"], refusal["at"]):
                return fault
    return None
