"""Sign-off requests expire after APPROVAL_EXPIRES_DAYS, at the next scheduler pass, once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot import ids
from bot.scheduler import run_once
from bot.settings import Settings
from storage.db import Database
from storage.models import Approval, Delivery, Experiment
from storage.types import utcnow
from tests.fakeslack import FakeSlack
from tests.harness import all_text
from tests.workflow.conftest import Tick
from tests.workflow.review_steps import approved_experiment, build_team, detail, promote, sign_off, status
from workflow import delivery
from workflow import vocabulary as v
from workflow.delivery import Kind


@pytest.fixture(autouse=True)
def team(db: Database) -> None:
    build_team(db)


def _asked_days_ago(db: Database, number: int, days: float) -> None:
    with db.session() as session:
        experiment = session.exec(select(Experiment).where(Experiment.number == number)).one()
        experiment.status_changed_at = utcnow() - timedelta(days=days)
        session.add(experiment)


def _expired_notices(db: Database) -> int:
    with db.read() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == Kind.NOTICE)).all()
        return sum(isinstance(delivery.args_of(r), delivery.RequestExpired) for r in rows)


def test_an_unanswered_request_expires_with_its_sign_offs_once(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    number = approved_experiment(db)
    sign_off(db, number, v.Role.SECURITY)
    tick(utcnow())  # the card and the sign-off request are posted; nothing is due yet
    assert status(db, number) == v.Status.APPROVED
    _asked_days_ago(db, number, 15)

    report = tick(utcnow())
    assert status(db, number) == v.Status.REVIEWED and len(report.expired) == 1
    with db.read() as session:
        assert session.exec(select(Approval)).all() == []
    e = detail(db, number).experiment
    assert e.signoff_note == "it expired after 14 days without all three sign-offs"
    request = slack.message("C_TEAM", e.approval_message_ts or "")
    assert ids.SIGNOFF_APPROVE not in str(request["blocks"])
    assert "Sign-off closed: it expired after 14 days" in all_text(request["blocks"])
    thread = [all_text(m["blocks"]) for m in slack.thread("C_TEAM", e.message_ts or "")]
    assert sum("The sign-off request for EXP-1 closed: it expired" in t for t in thread) == 1
    assert tick(utcnow()).expired == []
    assert _expired_notices(db) == 1
    with db.read() as session:
        dms = [
            delivery.args_of(r) for r in session.exec(select(Delivery).where(Delivery.kind == Kind.OWNER_DM))
        ]
    assert [d.news for d in dms if isinstance(d, delivery.OwnerNews)][-1] == delivery.News.EXPIRED

    # Asking again is a new request that all three sign.
    promote(db, number)
    for role in v.APPROVER_ROLES:
        sign_off(db, number, role)
    assert status(db, number) == v.Status.PRODUCTION


def test_a_request_younger_than_the_limit_stays(db: Database, tick: Tick) -> None:
    number = approved_experiment(db)
    _asked_days_ago(db, number, 13.9)
    assert tick(utcnow()).expired == []
    assert status(db, number) == v.Status.APPROVED


def test_two_passes_at_once_expire_it_once(db: Database, settings: Settings) -> None:
    number = approved_experiment(db)
    _asked_days_ago(db, number, 20)
    now = utcnow()
    reports: list[list[int]] = []
    passes = [
        threading.Thread(target=lambda: reports.append(run_once(settings, db, now=now).expired))
        for _ in range(2)
    ]
    for p in passes:
        p.start()
    for p in passes:
        p.join(30)
    assert sorted(len(r) for r in reports) == [0, 1]
    assert _expired_notices(db) == 1
    assert status(db, number) == v.Status.REVIEWED


@pytest.mark.parametrize("scheduler_settings", [{"approval_expires_days": 0}])
def test_zero_turns_expiry_off(db: Database, tick: Tick) -> None:
    number = approved_experiment(db)
    _asked_days_ago(db, number, 400)
    assert tick(utcnow()).expired == []
    assert status(db, number) == v.Status.APPROVED


def test_only_requests_waiting_for_sign_off_expire(db: Database, tick: Tick) -> None:
    number = approved_experiment(db)
    with db.session() as session:
        experiment = session.exec(select(Experiment).where(col(Experiment.number) == number)).one()
        experiment.status = v.Status.REVIEWED
        experiment.status_changed_at = utcnow() - timedelta(days=30)
        session.add(experiment)
    assert tick(utcnow()).expired == []
