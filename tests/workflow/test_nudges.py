"""Nudges in experiment threads, driven by scheduler passes at explicit times."""

from __future__ import annotations

import threading

import pytest

from bot.delivery.worker import drain
from bot.installs import team_clients
from bot.runtime import worker_config
from bot.scheduler import run_once
from bot.settings import Settings
from storage import roles
from storage.db import Database
from storage.models import Experiment
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.workflow.conftest import Tick, at, make_experiment
from workflow import vocabulary as v

SUBMITTED = at("2026-11-23T09:00:00Z")


def grant(db: Database, user: str, role: str) -> None:
    with db.session() as session:
        roles.grant(session, team_id=TEAM_ID, user_id=user, role=role, granted_by="U_ADMIN")


def nudges(slack: FakeSlack) -> list[dict]:
    """The nudges Slack shows (posts that failed are not there), oldest first."""
    return [m for m in slack.messages.values() if m.get("thread_ts")]


def test_a_review_waiting_over_a_day_nudges_the_reviewers_in_its_thread(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    experiment = make_experiment(
        db,
        status=v.Status.IN_REVIEW,
        since=SUBMITTED,
        reviews={"technical": "approved", "business": "approved"},
    )
    grant(db, "U_ETHICS", "ethics_reviewer")
    grant(db, "U_OWNER", "ethics_reviewer")  # the owner may hold the role, but is never asked
    grant(db, "U_TECH", "technical_reviewer")  # their review is done: not asked

    assert tick(at("2026-11-24T08:59:00Z")).nudged == []  # 23h59m: not yet
    assert tick(at("2026-11-24T09:01:00Z")).nudged == [experiment.id]

    (nudge,) = nudges(slack)
    assert nudge["channel"] == "C_TEAM" and nudge["thread_ts"] == experiment.message_ts
    assert "<@U_ETHICS>" in nudge["text"] and "ethics review" in nudge["text"]
    assert "<@U_OWNER>" not in nudge["text"] and "<@U_TECH>" not in nudge["text"]
    assert "EXP-1" in nudge["text"] and "24 hours" in nudge["text"]


def test_at_most_one_nudge_per_interval_and_none_once_it_moved_on(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    experiment = make_experiment(db, status=v.Status.IN_REVIEW, since=SUBMITTED)
    grant(db, "U_ETHICS", "ethics_reviewer")
    tick(at("2026-11-24T09:01:00Z"))
    tick(at("2026-11-24T09:02:00Z"))
    tick(at("2026-11-25T08:59:00Z"))
    assert len(nudges(slack)) == 1
    tick(at("2026-11-25T09:01:00Z"))
    assert len(nudges(slack)) == 2

    with db.session() as session:
        row = session.get(Experiment, experiment.id)
        assert row is not None
        row.status = v.Status.REVIEWED
        row.status_changed_at = at("2026-11-25T10:00:00Z")
        session.add(row)
    tick(at("2026-11-27T10:00:00Z"))
    assert len(nudges(slack)) == 2


@pytest.mark.parametrize("scheduler_settings", [{"admin_user_ids": "U_BOSS", "nudge_after_hours": 2}])
def test_a_role_nobody_else_holds_is_reported_to_the_admins(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    make_experiment(
        db,
        status=v.Status.APPROVED,
        since=SUBMITTED,
        approvals=("technical_lead",),  # given by U_SIGN
        reviews=dict.fromkeys(v.ReviewKind, "approved"),
    )
    grant(db, "U_PO", "product_owner")
    grant(db, "U_SIGN", "product_owner")  # already signed off once: may not give a second
    grant(db, "U_OWNER", "security")  # only the owner holds it: counts as nobody
    grant(db, "U_ROOT", "admin")
    tick(at("2026-11-23T11:01:00Z"))
    (nudge,) = nudges(slack)
    text = nudge["text"]
    assert "production sign-off" in text
    assert "<@U_PO>: the *product owner sign-off* is yours to give." in text
    assert (
        "Nobody who may act holds `security` yet. <@U_BOSS>, <@U_ROOT>: please "
        "`/aiteam role add @someone security`." in text
    )
    assert "technical lead" not in text  # already given
    assert "<@U_OWNER>" not in text and "<@U_SIGN>" not in text


def test_with_no_admin_the_note_says_who_can_fix_it(db: Database, slack: FakeSlack, tick: Tick) -> None:
    make_experiment(
        db,
        status=v.Status.IN_REVIEW,
        since=SUBMITTED,
        reviews={"technical": "approved", "ethics": "approved"},
    )
    tick(at("2026-11-24T10:00:00Z"))
    (nudge,) = nudges(slack)
    assert "Nobody who may act holds `business_reviewer` yet, and no admin is set" in nudge["text"]


def test_experiments_without_a_card_or_not_waiting_on_others_are_not_nudged(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    make_experiment(db, status=v.Status.IN_REVIEW, since=SUBMITTED, card=False)
    make_experiment(db, status=v.Status.CHANGES_REQUESTED, since=SUBMITTED)  # waits on its owner
    make_experiment(db, status=v.Status.PROPOSED, since=SUBMITTED)
    make_experiment(
        db,
        status=v.Status.APPROVED,
        since=SUBMITTED,
        approvals=v.APPROVER_ROLES,
        reviews=dict.fromkeys(v.ReviewKind, "approved"),
    )
    assert tick(at("2026-11-25T10:00:00Z")).nudged == []
    assert nudges(slack) == []


def test_a_failed_nudge_is_retried_by_the_queue_and_posted_once(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    make_experiment(db, status=v.Status.IN_REVIEW, since=SUBMITTED)
    slack.fail("chat.postMessage", "internal_error")
    assert tick(at("2026-11-24T10:00:00Z")).nudged != []  # claimed and queued; Slack refused it
    assert nudges(slack) == []
    assert tick(at("2026-11-24T10:01:00Z")).nudged == []  # not claimed again: the queue retries
    assert len(nudges(slack)) == 1
    tick(at("2026-11-24T10:02:00Z"))
    assert len(slack.messages) == 1


def test_two_concurrent_passes_nudge_each_experiment_once(
    db: Database, slack: FakeSlack, settings: Settings
) -> None:
    ids = {make_experiment(db, status=v.Status.IN_REVIEW, since=SUBMITTED).id for _ in range(5)}
    barrier = threading.Barrier(2)
    nudged: list[int] = []

    def one_pass() -> None:
        client = team_clients(settings, db)
        barrier.wait()
        now = at("2026-11-24T10:00:00Z")
        nudged.extend(run_once(settings, db, now=now).nudged)
        drain(client, db, worker_config(settings), now=now)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(nudged) == sorted(ids)
    assert sorted(n["thread_ts"] for n in nudges(slack)) == sorted(f"1600000000.{i:06d}" for i in range(1, 6))


def test_nudge_claims_measure_from_the_current_status(db: Database, slack: FakeSlack, tick: Tick) -> None:
    # Nudged while in review; approved soon after: the sign-off wait has its own clock.
    experiment = make_experiment(db, status=v.Status.IN_REVIEW, since=SUBMITTED)
    tick(at("2026-11-24T09:30:00Z"))
    with db.session() as session:
        row = session.get(Experiment, experiment.id)
        assert row is not None
        row.status, row.status_changed_at = v.Status.APPROVED, at("2026-11-24T10:00:00Z")
        session.add(row)
    tick(at("2026-11-25T09:45:00Z"))
    assert len(nudges(slack)) == 1
    tick(at("2026-11-25T10:01:00Z"))
    assert len(nudges(slack)) == 2 and "production sign-off" in nudges(slack)[1]["text"]
