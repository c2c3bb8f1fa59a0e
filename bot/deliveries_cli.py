"""`python -m bot deliveries [list|retry ID|drop ID]`: see and mend what the bot still owes Slack."""

from __future__ import annotations

import argparse
from datetime import datetime

from storage.db import Database
from storage.models import Delivery
from storage.types import utcnow
from workflow import delivery
from workflow.delivery import State

LIST_LIMIT = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=("list", "retry", "drop"),
        help="list (default): pending, retrying and failed rows; retry ID: send a failed row again; "
        "drop ID: forget a row that is not being sent",
    )
    parser.add_argument("id", nargs="?", type=int, help="the row's id, as `list` shows it")
    parser.add_argument("--team", help="only this workspace's rows (team id)")


def _line(row: Delivery, what: str, now: datetime) -> str:
    state = "retrying" if row.state == State.PENDING and row.attempts else row.state
    parts = [
        f"{row.id:>6}",
        f"{state:<9}",
        f"{row.team_id:<12}",
        f"{(row.channel_id or row.user_id or '-'):<12}",
        f"attempts={row.attempts}",
        f"age={(now - row.created_at).total_seconds():.0f}s",
        what,
    ]
    if row.last_error:
        parts.append(f"error={row.last_error}")
    return "  ".join(parts)


def run(db: Database, args: argparse.Namespace) -> int:
    now = utcnow()
    if args.action == "list":
        with db.read() as session:
            rows = delivery.listing(
                session,
                states=(State.PENDING, State.SENDING, State.FAILED),
                limit=LIST_LIMIT,
                team_id=args.team,
            )
            lines = [_line(row, delivery.describe(session, row), now) for row in rows]
            backlog = delivery.backlog(session, now=now)
        if not lines:
            print("nothing pending, retrying or failed")
            return 0
        print(f"{'id':>6}  {'state':<9}  {'team':<12}  {'to':<12}  what")
        print("\n".join(lines))
        oldest = f", the oldest {backlog.oldest_age.total_seconds():.0f} s old" if backlog.oldest_age else ""
        print(f"{backlog.undelivered} undelivered{oldest}")
        return 0
    if args.id is None:
        print(f"error: say which row: python -m bot deliveries {args.action} ID")
        return 2
    with db.session() as session:
        if args.action == "retry":
            done = delivery.retry(session, delivery_id=args.id, now=now)
        else:
            done = delivery.drop(session, delivery_id=args.id)
        # Asked in the same transaction, so the answer is about the row the action saw.
        exists = done or session.get(Delivery, args.id) is not None
    if not exists:
        print(f"error: delivery {args.id} does not exist (see python -m bot deliveries list)")
        return 1
    if not done:
        why = (
            "is not a failed row"
            if args.action == "retry"
            else "is being sent right now; try again once it is done"
        )
        print(f"error: delivery {args.id} {why} (see python -m bot deliveries list)")
        return 1
    verb = "queued again; a running worker sends it shortly" if args.action == "retry" else "dropped"
    print(f"delivery {args.id} {verb}")
    return 0
