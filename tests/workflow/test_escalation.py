"""A review or sign-off still waiting after ESCALATE_AFTER_NUDGES nudges is escalated once to the
holders of ESCALATE_TO_ROLE, never to the owner or someone who already decided."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Experiment, Review
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import all_text
from tests.workflow.conftest import Tick, at, make_experiment
from tests.workflow.test_nudges import grant, nudges
from workflow import ceremonies
from workflow import vocabulary as v

SUBMITTED = at("2026-11-23T09:00:00Z")
DAYS = ("2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27")


def _team(db: Database) -> None:
    grant(db, "U_ETHICS", "ethics_reviewer")
    grant(db, "U_LEAD", "technical_lead")
    grant(db, "U_OWNER", "technical_lead")  # the owner may hold it, but is never the one escalated to
    grant(db, "U_TECH", "technical_lead")  # decided the technical review: not escalated to


def test_the_third_nudge_escalates_to_the_technical_lead_once(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    make_experiment(
        db,
        status=v.Status.IN_REVIEW,
        since=SUBMITTED,
        reviews={"technical": "approved", "business": "approved"},
    )
    with db.session() as session:
        for review in session.exec(select(Review)).all():
            if review.kind == v.ReviewKind.TECHNICAL:
                review.reviewer_id = "U_TECH"
                session.add(review)
    _team(db)
    for day in DAYS:
        tick(at(f"{day}T09:01:00Z"))
    texts = [n["text"] for n in nudges(slack)]
    assert len(texts) == 4
    escalating = [t for t in texts if "Still waiting after" in t]
    assert escalating == [texts[2]]
    assert "<@U_LEAD>" in texts[2] and "`technical_lead`" in texts[2] and "after 3 reminders" in texts[2]
    assert "<@U_OWNER>" not in texts[2] and "<@U_TECH>" not in texts[2]


@pytest.mark.parametrize("scheduler_settings", [{"escalate_after_nudges": 0}])
def test_zero_turns_escalation_off(db: Database, slack: FakeSlack, tick: Tick) -> None:
    make_experiment(db, status=v.Status.IN_REVIEW, since=SUBMITTED)
    _team(db)
    for day in DAYS:
        tick(at(f"{day}T09:01:00Z"))
    assert len(nudges(slack)) == 4
    assert not any("Still waiting after" in n["text"] for n in nudges(slack))


@pytest.mark.parametrize("scheduler_settings", [{"escalate_after_nudges": 1, "escalate_to_role": "security"}])
def test_it_goes_to_the_configured_role_and_not_to_who_already_signed(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    make_experiment(db, status=v.Status.APPROVED, since=SUBMITTED, approvals=("security",))
    grant(db, "U_SEC", "security")
    grant(db, "U_SIGN", "security")  # gave the security sign-off: decided, so not escalated to
    grant(db, "U_PO", "product_owner")
    grant(db, "U_LEAD", "technical_lead")
    tick(at("2026-11-24T09:01:00Z"))
    (nudge,) = nudges(slack)
    # U_SIGN gave the security sign-off; U_SEC holds security and decided nothing: escalated to.
    assert "Still waiting after 1 reminder:" in nudge["text"] and "<@U_SEC>" in nudge["text"]
    assert "<@U_SIGN>" not in nudge["text"]


def test_the_next_experiment_review_lists_escalated_waits_first(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    with db.session() as session:
        ceremonies.setup(
            session, team_id=TEAM_ID, actor_id="U1", channel_id="C_TEAM", timezone="UTC", now=SUBMITTED
        )
    escalated = make_experiment(db, status=v.Status.IN_REVIEW, since=SUBMITTED, hypothesis="Stuck one")
    make_experiment(db, status=v.Status.IN_REVIEW, since=SUBMITTED, hypothesis="Moving one")
    with db.session() as session:
        row = session.get(Experiment, escalated.id)
        assert row is not None
        row.escalated_at = at("2026-11-24T09:01:00Z")
        session.add(row)
    tick(at("2026-11-25T14:00:00Z"))  # the weekly experiment review
    call = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.args][-1]
    text = all_text(call.args["blocks"])
    assert "Escalated: still waiting after repeated reminders* (1)" in text
    assert text.index("Stuck one") < text.index("Waiting for review")
