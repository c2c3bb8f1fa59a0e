"""`python -m bot tick --now …` while the web workers deliver: `--now` decides what is due, and
the queue's leases, backoff and pace keep to the real clock.

Measured before the fix (2,000 experiments, `tick --now` a day ahead): the tick saw the web
workers' rows in flight as expired by its own clock, took 92 over, and 5 nudges went out twice.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import timedelta

from sqlmodel import Session, select

from bot.__main__ import cmd_tick
from bot.delivery.worker import Worker
from bot.installs import team_clients
from bot.runtime import worker_config
from bot.services import open_database
from bot.settings import Settings
from storage import roles
from storage.db import Database
from storage.models import Delivery, Experiment, Review
from storage.types import utcnow
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import make_settings
from workflow import vocabulary as v

EXPERIMENTS = 2000


def _waiting_for_review(session: Session, count: int) -> list[str]:
    """`count` experiments in review since an hour ago, each with its card posted; their ts."""
    since = utcnow() - timedelta(hours=1)
    experiments = [
        Experiment(
            team_id=TEAM_ID,
            number=n,
            hypothesis=f"hypothesis {n}",
            workstream="experimentation",
            owner_id="U_OWNER",
            status=v.Status.IN_REVIEW,
            timeline_weeks=2,
            channel_id="C_TEAM",
            message_ts=f"1600000000.{n:06d}",
            created_at=since,
            updated_at=since,
            status_changed_at=since,
        )
        for n in range(1, count + 1)
    ]
    session.add_all(experiments)
    session.flush()
    session.add_all(
        Review(team_id=TEAM_ID, experiment_id=e.id, kind=kind)
        for e in experiments
        if e.id is not None
        for kind in v.ReviewKind
    )
    for role in v.REVIEWER_ROLE.values():
        roles.grant(session, team_id=TEAM_ID, user_id="U_REVIEWER", role=role, granted_by="U_ADMIN")
    return [e.message_ts for e in experiments if e.message_ts]


def _web_worker(settings: Settings) -> Worker:
    """A web process's delivery worker: its own database pool, the workspace's token."""
    database = open_database(settings)
    return Worker(team_clients(settings, database), database, worker_config(settings)).start()


def test_tick_a_day_ahead_while_web_workers_deliver_nudges_each_thread_once(
    db: Database, slack: FakeSlack
) -> None:
    settings = make_settings(slack, db, delivery_threads=4)
    with db.session() as session:
        cards = _waiting_for_review(session, EXPERIMENTS)
    # Posts take a while, so the web workers' rows are in flight when the tick claims.
    slack.slow("chat.postMessage", 0.05)
    web = [
        Worker(
            team_clients(settings, database := open_database(settings)), database, worker_config(settings)
        ).start()
        for _ in range(2)
    ]
    try:
        status = cmd_tick(settings, argparse.Namespace(now=utcnow() + timedelta(days=1)))
        assert status == 0
        deadline = time.monotonic() + 300
        while not all(worker.idle() for worker in web):
            assert time.monotonic() < deadline, "the web workers never finished delivering"
            time.sleep(0.2)
    finally:
        for worker in web:
            worker.stop()
    nudged = Counter(m["thread_ts"] for m in slack.messages.values() if m.get("thread_ts"))
    assert set(nudged) == set(cards)
    assert [ts for ts, times in nudged.items() if times > 1] == []
    with db.read() as session:
        tries = Counter((row.state, row.attempts) for row in session.exec(select(Delivery)))
    # Nothing was taken over from a worker still sending it: each row was claimed once.
    assert tries == {("delivered", 1): EXPERIMENTS}
