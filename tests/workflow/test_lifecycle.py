"""The experiment lifecycle end to end, its transition table and the thread-reply slots, on both databases."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from storage.db import Database
from storage.experiments import Slot
from storage.models import Experiment
from tests.fakeslack import TEAM_ID
from tests.workflow.review_steps import (
    ALL_KEYS,
    ARTIFACTS,
    OWNER,
    REVIEWERS,
    SIGNERS,
    build_team,
    decide,
    detail,
    in_review_experiment,
    promote,
    propose,
    reviewed_experiment,
    sign_off,
    state,
    status,
    submit,
    tick,
    trail,
)
from workflow import experiments, lifecycle
from workflow import vocabulary as v
from workflow.errors import InvalidTransition
from workflow.history import history


@pytest.fixture
def db(db: Database) -> Database:
    """The parametrized database, with the reviewers and sign-off holders given their roles."""
    build_team(db)
    return db


def test_full_path_from_proposal_to_production_with_its_audit_trail(db: Database) -> None:
    number = propose(db)
    assert status(db, number) == v.Status.PROPOSED

    outcome = submit(db, number, artifacts=f"  {ARTIFACTS}\n")
    assert (outcome.changed, outcome.moved_to, outcome.experiment.status) == (
        True,
        v.Status.IN_REVIEW,
        v.Status.IN_REVIEW,
    )
    d = detail(db, number)
    assert d.experiment.artifacts == ARTIFACTS
    assert [(i.key, i.checked_by) for i in d.checklist] == [(key, None) for key in ALL_KEYS]

    for key in ALL_KEYS:
        outcome = tick(db, number, key)
        assert (outcome.changed, outcome.moved_to) == (True, None)
    assert status(db, number) == v.Status.IN_REVIEW

    moves = [decide(db, number, kind).moved_to for kind in v.ReviewKind]
    assert moves == [None, None, v.Status.REVIEWED]
    d = detail(db, number)
    assert d.experiment.status == v.Status.REVIEWED
    assert [(r.kind, r.status, r.reviewer_id) for r in d.reviews] == [
        (kind, v.ReviewState.APPROVED, REVIEWERS[kind]) for kind in v.ReviewKind
    ]
    assert all(r.decided_at is not None for r in d.reviews)
    assert [(i.key, i.checked_by) for i in d.checklist] == [(key, OWNER) for key in ALL_KEYS]

    outcome = promote(db, number)
    assert (outcome.changed, outcome.moved_to, outcome.experiment.status) == (
        True,
        v.Status.APPROVED,
        v.Status.APPROVED,
    )

    moves = [sign_off(db, number, role).moved_to for role in v.APPROVER_ROLES]
    assert moves == [None, None, v.Status.PRODUCTION]
    d = detail(db, number)
    assert d.experiment.status == v.Status.PRODUCTION
    assert [(a.role, a.approver_id) for a in d.approvals] == [
        (role, SIGNERS[role]) for role in v.APPROVER_ROLES
    ]

    with db.session() as session:
        experiment, events = history(session, team_id=TEAM_ID, number=number)
    assert experiment.number == number and experiment.status == v.Status.PRODUCTION
    assert [(e.action, e.actor_id, e.detail) for e in events] == [
        ("proposed", OWNER, "workstream experimentation"),
        ("status:in_review", OWNER, f"proposed → in_review: submitted with: {ARTIFACTS}"),
        ("checklist", OWNER, "ticked Model performance meets threshold"),
        ("checklist", OWNER, "ticked Safety evaluation passed"),
        ("checklist", OWNER, "ticked Cost projection acceptable"),
        ("checklist", OWNER, "ticked Documentation complete"),
        ("checklist", OWNER, "ticked Rollback plan defined"),
        ("review:technical", "U_TECH", "approved"),
        ("review:ethics", "U_ETHICS", "approved"),
        ("review:business", "U_BIZ", "approved"),
        ("status:reviewed", "U_BIZ", "in_review → reviewed: all reviews and checklist done"),
        ("status:approved", OWNER, "reviewed → approved: sign-off requested"),
        ("sign-off:technical_lead", "U_LEAD", "approved"),
        ("sign-off:product_owner", "U_PO", "approved"),
        ("sign-off:security", "U_SEC", "approved"),
        ("status:production", "U_SEC", "approved → production: all sign-offs given"),
    ]
    assert all(e.created_at.tzinfo is not None for e in events)
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)


def test_every_change_is_marked_and_a_move_restarts_the_status_clock(db: Database) -> None:
    number = propose(db)
    proposed = detail(db, number).experiment
    submit(db, number)
    submitted = detail(db, number).experiment
    assert submitted.updated_at > proposed.updated_at
    assert submitted.status_changed_at > proposed.status_changed_at

    tick(db, number, "documentation")
    ticked = detail(db, number).experiment
    assert ticked.updated_at > submitted.updated_at
    assert ticked.status_changed_at == submitted.status_changed_at  # same status: the clock keeps running


def test_all_reviews_then_the_last_tick_makes_it_reviewed(db: Database) -> None:
    number = in_review_experiment(db)
    for kind in v.ReviewKind:
        assert decide(db, number, kind).moved_to is None
    *first, last = ALL_KEYS
    tick(db, number, *first)
    assert status(db, number) == v.Status.IN_REVIEW

    outcome = tick(db, number, last)
    assert (outcome.moved_to, outcome.experiment.status) == (v.Status.REVIEWED, v.Status.REVIEWED)
    assert trail(db, number)[-2:] == [("checklist", OWNER), ("status:reviewed", OWNER)]


def test_all_ticks_then_the_last_review_makes_it_reviewed(db: Database) -> None:
    number = in_review_experiment(db)
    assert tick(db, number, *ALL_KEYS).moved_to is None
    assert decide(db, number, "business").moved_to is None
    assert decide(db, number, "technical").moved_to is None
    assert status(db, number) == v.Status.IN_REVIEW

    outcome = decide(db, number, "ethics")
    assert (outcome.moved_to, outcome.experiment.status) == (v.Status.REVIEWED, v.Status.REVIEWED)
    assert trail(db, number)[-2:] == [("review:ethics", "U_ETHICS"), ("status:reviewed", "U_ETHICS")]


def test_one_unticked_item_or_one_pending_review_keeps_it_in_review(db: Database) -> None:
    number = in_review_experiment(db)
    tick(db, number, *ALL_KEYS)
    decide(db, number, "technical")
    decide(db, number, "ethics")
    tick(db, number, untick=("rollback_plan",))  # the two approvals saw it ticked: stale again
    decide(db, number, "business")
    decide(db, number, "technical")
    decide(db, number, "ethics")
    assert status(db, number) == v.Status.IN_REVIEW  # every review approved, one item unticked

    assert tick(db, number, "rollback_plan").moved_to == v.Status.REVIEWED
    assert [a for a, _ in trail(db, number)].count("status:reviewed") == 1


@pytest.mark.parametrize("closed", sorted(v.CLOSED_STATUSES))
def test_closed_statuses_lead_nowhere(closed: str) -> None:
    assert lifecycle.TRANSITIONS[closed] == frozenset()


def test_transition_table_covers_every_status_and_only_known_targets() -> None:
    assert set(lifecycle.TRANSITIONS) == set(v.Status)
    for targets in lifecycle.TRANSITIONS.values():
        assert targets <= set(v.Status)
    assert lifecycle.TRANSITIONS[v.Status.PROPOSED] == {v.Status.IN_REVIEW, v.Status.WITHDRAWN}
    assert lifecycle.TRANSITIONS[v.Status.CHANGES_REQUESTED] == {
        v.Status.IN_REVIEW,
        v.Status.REJECTED,
        v.Status.WITHDRAWN,
    }
    assert lifecycle.TRANSITIONS[v.Status.APPROVED] == {
        v.Status.PRODUCTION,
        v.Status.REJECTED,
        v.Status.WITHDRAWN,
        # When the evidence changes under the sign-off request (workflow/staleness.py).
        v.Status.IN_REVIEW,
        v.Status.REVIEWED,
    }


def test_move_refuses_a_transition_the_lifecycle_does_not_allow(db: Database) -> None:
    number = propose(db)
    before = state(db, number)
    with db.session() as session:
        experiment = experiments.get(session, team_id=TEAM_ID, number=number, for_update=True)
        with pytest.raises(
            InvalidTransition, match=re.escape("EXP-1 is only proposed; it can't become production.")
        ):
            lifecycle.move(session, experiment, v.Status.PRODUCTION, actor_id=OWNER)
        assert experiment.status == v.Status.PROPOSED
    assert state(db, number) == before


@pytest.mark.parametrize(
    "status_, needs, says",
    [
        (
            v.Status.PROPOSED,
            v.Status.IN_REVIEW,
            "You can't approve it: EXP-7 is only proposed. That becomes possible once its owner "
            "submits it with `/experiment submit EXP-7 <artifacts>`.",
        ),
        (
            v.Status.REVIEWED,
            v.Status.APPROVED,
            "You can't sign off: EXP-7 is reviewed and waiting to be promoted. That becomes possible once "
            "its owner runs `/experiment promote EXP-7`.",
        ),
        (
            v.Status.IN_REVIEW,
            v.Status.APPROVED,
            "You can't sign off: EXP-7 is in review. That becomes possible once all three reviews approve it "
            "and every checklist item is ticked, then its owner runs `/experiment promote EXP-7`.",
        ),
        (
            v.Status.CHANGES_REQUESTED,
            v.Status.IN_REVIEW,
            "You can't approve it: EXP-7 is waiting for its owner's changes. That becomes possible once its "
            "owner submits it with `/experiment submit EXP-7 <artifacts>`.",
        ),
        (
            v.Status.WITHDRAWN,
            v.Status.IN_REVIEW,
            "You can't approve it: EXP-7 was withdrawn. It is closed; propose a new experiment to try again.",
        ),
        (v.Status.IN_REVIEW, v.Status.PROPOSED, "You can't submit: EXP-7 is in review."),
    ],
)
def test_refusals_say_where_it_is_and_what_would_make_the_step_possible(
    status_: str, needs: str, says: str
) -> None:
    experiment = Experiment(
        team_id=TEAM_ID, number=7, hypothesis="h", workstream="production", owner_id=OWNER, status=status_
    )
    step = {v.Status.IN_REVIEW: "approve it", v.Status.APPROVED: "sign off", v.Status.PROPOSED: "submit"}[
        needs
    ]
    error = lifecycle.refuse(experiment, step, needs=needs)
    assert type(error) is InvalidTransition
    assert str(error) == says


# Where the card and its thread replies were posted: recorded once.


def test_a_posted_message_is_recorded_once_per_slot(db: Database) -> None:
    number = propose(db)
    with db.session() as session:
        experiment_id = experiments.get(session, team_id=TEAM_ID, number=number).id
        assert experiment_id is not None
        assert experiments.record_posted(session, experiment_id=experiment_id, slot=Slot.CARD, ts="1.1")
        assert experiments.record_posted(session, experiment_id=experiment_id, slot=Slot.REVIEW, ts="1.2")
        # A second post of the same slot (a duplicate) never replaces the first.
        assert not experiments.record_posted(session, experiment_id=experiment_id, slot=Slot.CARD, ts="9.9")
    with db.session() as session:
        row = session.get(Experiment, experiment_id)
        assert row is not None
        assert (row.message_ts, row.review_message_ts, row.approval_message_ts) == ("1.1", "1.2", None)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            propose,
            "You can't change the checklist: EXP-1 is only proposed. That becomes possible once its owner",
        ),
        (
            reviewed_experiment,
            "You can't change the checklist: EXP-1 is reviewed and waiting to be promoted.",
        ),
    ],
)
def test_a_refusal_names_the_way_forward_only_when_there_is_one(
    db: Database, build: Callable[[Database], int], expected: str
) -> None:
    number = build(db)
    with pytest.raises(InvalidTransition) as refusal:
        tick(db, number, "documentation")
    assert refusal.value.message.startswith(expected)
    if build is reviewed_experiment:
        # Already past review: pointing at `/experiment submit` would send the owner backwards.
        assert refusal.value.message == expected
