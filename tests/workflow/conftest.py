"""Driving scheduler passes at chosen times against the fake Slack, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from bot.delivery.worker import drain
from bot.installs import team_clients
from bot.runtime import worker_config
from bot.scheduler import run_once
from bot.settings import Settings
from storage.db import Database
from storage.models import Ceremony, Experiment
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import make_settings
from workflow import ceremonies, proposals
from workflow.tick import PassReport

Tick = Callable[[datetime], PassReport]


def at(text: str) -> datetime:
    """An aware datetime from ISO 8601 text with its offset."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return moment


@pytest.fixture
def scheduler_settings() -> dict[str, object]:
    return {}


@pytest.fixture
def settings(slack: FakeSlack, db: Database, scheduler_settings: dict[str, object]) -> Settings:
    return make_settings(slack, db, **scheduler_settings)


@pytest.fixture
def tick(settings: Settings, db: Database) -> Tick:
    """One scheduler pass at the given time, then the deliveries due then, sent through the real
    WebClient to the fake Slack (as `python -m bot tick` does)."""
    client = team_clients(settings, db)
    config = worker_config(settings)

    def run(now: datetime) -> PassReport:
        report = run_once(settings, db, now=now)
        drain(client, db, config, now=now, clock=lambda: now)
        return report

    return run


def add_ceremony(db: Database, name: str, schedule: str, timezone: str, *, created: datetime) -> Ceremony:
    with db.session() as session:
        return ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="U_LEAD",
            name=name,
            channel_id="C_TEAM",
            schedule_tokens=[*schedule.split(), timezone],
            default_timezone="UTC",
            now=created,
        )


def make_experiment(
    db: Database,
    *,
    status: str,
    since: datetime,
    owner: str = "U_OWNER",
    hypothesis: str = "Retrieval improves accuracy",
    reviews: dict[str, str] | None = None,
    approvals: tuple[str, ...] = (),
    card: bool = True,
) -> Experiment:
    """An experiment that reached `status` at `since`, with its card posted in C_TEAM."""
    from sqlalchemy import delete

    from storage import experiments as queries
    from storage.models import Approval, Delivery

    experiment = proposals.propose(
        db, team_id=TEAM_ID, owner_id=owner, hypothesis=hypothesis, channel_id="C_TEAM"
    )
    with db.session() as session:
        experiment.status = status
        experiment.status_changed_at = since
        experiment.created_at = since - timedelta(days=1)
        if card:
            experiment.message_ts = f"1600000000.{experiment.number:06d}"
        session.add(experiment)
        session.flush()
        assert experiment.id is not None
        for review in queries.reviews(session, experiment_id=experiment.id):
            review.status = (reviews or {}).get(review.kind, review.status)
            session.add(review)
        for role in approvals:
            session.add(
                Approval(team_id=TEAM_ID, experiment_id=experiment.id, role=role, approver_id="U_SIGN")
            )
        # It was proposed long ago: whatever its proposal queued was delivered then.
        session.execute(delete(Delivery))
    return experiment
