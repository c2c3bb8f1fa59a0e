"""Submitting, ticking the checklist, deciding reviews, sending back, rejecting, withdrawing."""

from __future__ import annotations

import re

import pytest

from storage import bias_checks
from storage import experiments as storage_experiments
from storage.db import Database
from tests.workflow.review_steps import (
    ALL_KEYS,
    ARTIFACTS,
    CLOSED,
    OWNER,
    REVIEWERS,
    SELF_APPROVAL,
    STRANGER,
    TEAM_ID,
    build_team,
    decide,
    detail,
    grant,
    in_review_experiment,
    production_experiment,
    promote,
    propose,
    record_metrics,
    refused,
    reviewed_experiment,
    state,
    status,
    submit,
    tick,
    trail,
    withdraw,
)
from workflow import experiments
from workflow import vocabulary as v
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound


@pytest.fixture
def db(db: Database) -> Database:
    """The parametrized database, with the reviewers and sign-off holders given their roles."""
    build_team(db)
    return db


def _changes_requested(db: Database) -> int:
    """In review with technical and ethics approved, two items ticked, then business asks for changes."""
    number = in_review_experiment(db)
    tick(db, number, "model_performance", "safety_evaluation")
    decide(db, number, "technical")
    decide(db, number, "ethics")
    decide(db, number, "business", "request_changes", reason="Add the cost projection")
    assert status(db, number) == v.Status.CHANGES_REQUESTED
    return number


# Submitting


def test_submit_creates_the_checklist_and_stores_the_artifacts(db: Database) -> None:
    number = propose(db)
    assert detail(db, number).checklist == []
    outcome = submit(db, number)
    assert outcome.moved_to == v.Status.IN_REVIEW
    d = detail(db, number)
    assert d.experiment.artifacts == ARTIFACTS
    assert [(i.key, i.checked_by, i.checked_at) for i in d.checklist] == [(k, None, None) for k in ALL_KEYS]
    assert [(r.kind, r.status) for r in d.reviews] == [(k, v.ReviewState.PENDING) for k in v.ReviewKind]


def test_submit_by_someone_other_than_the_owner_is_refused(db: Database) -> None:
    number = propose(db)
    with refused(db, number, NotAllowed, "Only the owner of EXP-1 may submit it for review."):
        submit(db, number, actor=REVIEWERS["technical"])


@pytest.mark.parametrize("artifacts", ["", "   \n\t "])
def test_submit_without_artifacts_is_refused(db: Database, artifacts: str) -> None:
    number = propose(db)
    with refused(db, number, InvalidInput, "Add the artifacts reviewers should look at"):
        submit(db, number, artifacts=artifacts)


def test_submit_with_overlong_artifacts_is_refused_and_the_limit_itself_is_fine(db: Database) -> None:
    number = propose(db)
    with refused(db, number, InvalidInput, "The artifacts are 2001 characters; keep them to 2000"):
        submit(db, number, artifacts="x" * 2001)
    assert submit(db, number, artifacts="x" * 2000).moved_to == v.Status.IN_REVIEW


def test_submitting_twice_is_refused(db: Database) -> None:
    number = in_review_experiment(db)
    with refused(db, number, InvalidTransition, "You can't submit EXP-1: EXP-1 is in review."):
        submit(db, number)


def test_submitting_an_unknown_experiment_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match=re.escape("There is no experiment EXP-9 here.")):
        submit(db, 9)


# The checklist


def test_ticking_and_unticking_record_who_and_what(db: Database) -> None:
    number = in_review_experiment(db)
    outcome = tick(db, number, "documentation", "cost_projection")
    assert (outcome.changed, outcome.moved_to) == (True, None)
    checked = {i.key: i.checked_by for i in detail(db, number).checklist}
    assert checked == {k: OWNER if k in ("documentation", "cost_projection") else None for k in ALL_KEYS}
    assert all(i.checked_at is not None for i in detail(db, number).checklist if i.checked_by)

    tick(db, number, untick=("documentation",))
    checked = {i.key: (i.checked_by, i.checked_at) for i in detail(db, number).checklist}
    assert checked["documentation"] == (None, None)
    assert checked["cost_projection"][0] == OWNER
    assert state(db, number).audit[-2:] == (
        ("checklist", OWNER, "ticked Cost projection acceptable; ticked Documentation complete"),
        ("checklist", OWNER, "unticked Documentation complete"),
    )


def test_ticking_a_ticked_item_or_unticking_an_unticked_one_changes_nothing(db: Database) -> None:
    number = in_review_experiment(db)
    tick(db, number, "documentation")
    before = state(db, number)
    outcome = tick(db, number, "documentation")
    assert (outcome.changed, outcome.moved_to) == (False, None)
    outcome = tick(db, number, untick=("safety_evaluation",))
    assert outcome.changed is False
    assert state(db, number) == before


def test_ticking_by_someone_other_than_the_owner_is_refused(db: Database) -> None:
    number = in_review_experiment(db)
    with refused(db, number, NotAllowed, "Only the owner of EXP-1 may tick its review checklist."):
        tick(db, number, "documentation", actor=REVIEWERS["technical"])


def test_ticking_before_submission_is_refused(db: Database) -> None:
    number = propose(db)
    with refused(
        db,
        number,
        InvalidTransition,
        "You can't change the checklist: EXP-1 is only proposed. That becomes possible once its owner "
        "submits it with `/experiment submit EXP-1 <artifacts>`.",
    ):
        tick(db, number, "documentation")


def test_unticking_once_reviewed_is_refused(db: Database) -> None:
    number = reviewed_experiment(db)
    with refused(
        db, number, InvalidTransition, "You can't change the checklist: EXP-1 is reviewed and waiting"
    ):
        tick(db, number, untick=("rollback_plan",))


def test_an_unknown_checklist_item_is_refused(db: Database) -> None:
    number = in_review_experiment(db)
    with refused(db, number, InvalidInput, "Unknown checklist item `vibes_check`."):
        tick(db, number, "documentation", "vibes_check")
    with refused(db, number, InvalidInput, "Unknown checklist item `Documentation`."):
        tick(db, number, untick=("Documentation",))


# Deciding reviews


def test_a_reviewer_without_the_role_is_refused(db: Database) -> None:
    number = in_review_experiment(db)
    with refused(
        db,
        number,
        NotAllowed,
        "Only holders of the `technical_reviewer` role may approve the technical review.",
    ):
        decide(db, number, "technical", actor=STRANGER)
    # Holding another review role does not help.
    with refused(db, number, NotAllowed, "Only holders of the `technical_reviewer` role"):
        decide(db, number, "technical", actor=REVIEWERS["ethics"])
    with refused(
        db, number, NotAllowed, "Only holders of the `business_reviewer` role may request changes in the"
    ):
        decide(db, number, "business", "request_changes", actor=STRANGER, reason="Too costly")


def test_the_owner_may_not_review_their_own_experiment(db: Database) -> None:
    grant(db, OWNER, "technical_reviewer")
    number = in_review_experiment(db)
    with refused(
        db,
        number,
        NotAllowed,
        "You can't approve the technical review: EXP-1 is your own experiment, and someone else must review",
    ):
        decide(db, number, "technical", actor=OWNER)
    with refused(db, number, NotAllowed, "You can't reject EXP-1: EXP-1 is your own experiment"):
        decide(db, number, "technical", "reject", actor=OWNER, reason="Changed my mind")


def test_the_owner_may_review_their_own_experiment_when_self_approval_is_allowed(db: Database) -> None:
    grant(db, OWNER, "technical_reviewer")
    number = in_review_experiment(db)
    outcome = decide(db, number, "technical", actor=OWNER, policy=SELF_APPROVAL)
    assert outcome.changed is True
    technical = detail(db, number).reviews[0]
    assert (technical.kind, technical.status, technical.reviewer_id) == (
        "technical",
        v.ReviewState.APPROVED,
        OWNER,
    )
    # Self-approval lifts ownership, not the role requirement.
    with refused(db, number, NotAllowed, "Only holders of the `ethics_reviewer` role"):
        decide(db, number, "ethics", actor=OWNER, policy=SELF_APPROVAL)


def test_approving_before_submission_is_refused(db: Database) -> None:
    number = propose(db)
    with refused(
        db,
        number,
        InvalidTransition,
        "You can't approve the technical review: EXP-1 is only proposed. That becomes possible once its "
        "owner submits it",
    ):
        decide(db, number, "technical")


def test_approving_while_changes_are_requested_is_refused(db: Database) -> None:
    number = in_review_experiment(db)
    decide(db, number, "technical", "request_changes", reason="Add a latency eval")
    with refused(
        db,
        number,
        InvalidTransition,
        "You can't approve the ethics review: EXP-1 is waiting for its owner's changes.",
    ):
        decide(db, number, "ethics")
    with refused(db, number, InvalidTransition, "is waiting for its owner's changes"):
        decide(db, number, "business", "request_changes", reason="Me too")


def test_a_review_already_decided_by_someone_else_is_refused(db: Database) -> None:
    grant(db, "U_TECH2", "technical_reviewer")
    number = in_review_experiment(db)
    decide(db, number, "technical")
    says = "The technical review of EXP-1 was already decided (approved); it reopens if the owner resubmits."
    with refused(db, number, InvalidTransition, says):
        decide(db, number, "technical", actor="U_TECH2")
    with refused(db, number, InvalidTransition, says):
        decide(db, number, "technical", "request_changes", actor="U_TECH2", reason="Disagree")
    with refused(db, number, InvalidTransition, says):
        decide(db, number, "technical", "request_changes", reason="Second thoughts")
    technical = detail(db, number).reviews[0]
    assert (technical.status, technical.reviewer_id) == (v.ReviewState.APPROVED, "U_TECH")


def test_approving_the_same_review_twice_changes_nothing_the_second_time(db: Database) -> None:
    number = in_review_experiment(db)
    first = decide(db, number, "technical")
    assert first.changed is True
    before = state(db, number)
    again = decide(db, number, "technical")
    assert (again.changed, again.moved_to, again.note) == (
        False,
        None,
        "You already approved the technical review.",
    )
    assert state(db, number) == before
    assert [a for a, _ in trail(db, number)].count("review:technical") == 1


@pytest.mark.parametrize(
    "kind, decision, says",
    [
        ("legal", "approve", "Unknown review `legal approve`."),
        ("technical", "lgtm", "Unknown review `technical lgtm`."),
    ],
)
def test_unknown_reviews_and_decisions_are_refused(db: Database, kind: str, decision: str, says: str) -> None:
    number = in_review_experiment(db)
    with refused(db, number, InvalidInput, says):
        decide(db, number, kind, decision, actor=REVIEWERS["technical"])


@pytest.mark.parametrize("decision", ["request_changes", "reject"])
@pytest.mark.parametrize(
    "reason, says",
    [
        ("", "Say why, so the owner knows what to change."),
        ("  \n ", "Say why, so the owner knows what to change."),
        ("x" * 1001, "The reason is 1001 characters; keep it to 1000."),
    ],
)
def test_sending_back_or_rejecting_needs_a_reason_of_sensible_length(
    db: Database, decision: str, reason: str, says: str
) -> None:
    number = in_review_experiment(db)
    with refused(db, number, InvalidInput, says):
        decide(db, number, "ethics", decision, reason=reason)


def test_request_changes_sends_it_back_to_the_owner(db: Database) -> None:
    number = in_review_experiment(db)
    decide(db, number, "technical")
    outcome = decide(db, number, "business", "request_changes", reason="  Add the cost projection ")
    assert (outcome.moved_to, outcome.experiment.status) == (
        v.Status.CHANGES_REQUESTED,
        v.Status.CHANGES_REQUESTED,
    )
    business = detail(db, number).reviews[2]
    assert (business.kind, business.status, business.reviewer_id, business.reason) == (
        "business",
        v.ReviewState.CHANGES_REQUESTED,
        "U_BIZ",
        "Add the cost projection",
    )
    assert state(db, number).audit[-1] == (
        "status:changes_requested",
        "U_BIZ",
        "in_review → changes_requested: business review: Add the cost projection",
    )


def test_the_owner_may_tick_while_changes_are_requested_without_completing_the_review(db: Database) -> None:
    number = _changes_requested(db)
    outcome = tick(db, number, "cost_projection")
    assert (outcome.changed, outcome.moved_to) == (True, None)
    assert status(db, number) == v.Status.CHANGES_REQUESTED


def test_resubmitting_the_same_evidence_reopens_only_the_review_that_asked_for_changes(db: Database) -> None:
    number = _changes_requested(db)
    before = detail(db, number)
    outcome = submit(db, number)  # the same artifacts: the approvals were made on them
    assert (outcome.moved_to, outcome.experiment.status) == (v.Status.IN_REVIEW, v.Status.IN_REVIEW)
    after = detail(db, number)
    assert [(r.kind, r.status, r.reviewer_id, r.reason) for r in after.reviews] == [
        ("technical", v.ReviewState.APPROVED, "U_TECH", None),
        ("ethics", v.ReviewState.APPROVED, "U_ETHICS", None),
        ("business", v.ReviewState.PENDING, None, None),
    ]
    assert [r.decided_at for r in after.reviews[:2]] == [r.decided_at for r in before.reviews[:2]]


def test_resubmitting_other_artifacts_makes_the_approvals_stale(db: Database) -> None:
    number = _changes_requested(db)
    before = detail(db, number)
    outcome = submit(db, number, artifacts="eval v2: https://evals.example/v2 cost: $40/day")
    assert (outcome.moved_to, outcome.experiment.status) == (v.Status.IN_REVIEW, v.Status.IN_REVIEW)

    after = detail(db, number)
    assert after.experiment.artifacts == "eval v2: https://evals.example/v2 cost: $40/day"
    assert [(r.kind, r.status, r.reviewer_id, r.stale_note) for r in after.reviews] == [
        ("technical", v.ReviewState.PENDING, None, "artifacts changed"),
        ("ethics", v.ReviewState.PENDING, None, "artifacts changed"),
        ("business", v.ReviewState.PENDING, None, None),
    ]
    assert all(r.decided_at is None for r in after.reviews)
    # The checklist is kept as it was, not recreated.
    assert [(i.id, i.key, i.checked_by) for i in after.checklist] == [
        (i.id, i.key, i.checked_by) for i in before.checklist
    ]
    assert [i.checked_by for i in after.checklist] == [OWNER, OWNER, None, None, None]
    resubmitted = (
        "changes_requested → in_review: resubmitted with: eval v2: https://evals.example/v2 cost: $40/day"
    )
    assert list(state(db, number).audit[-2:]) == [
        ("status:in_review", OWNER, resubmitted),
        ("stale", OWNER, "technical review, ethics review: artifacts changed"),
    ]

    # The reopened reviews are decided again, and complete the review once the checklist is done.
    tick(db, number, *ALL_KEYS)
    decide(db, number, "technical")
    decide(db, number, "ethics")
    assert decide(db, number, "business").moved_to == v.Status.REVIEWED


def test_rejecting_at_review_closes_the_experiment(db: Database) -> None:
    number = in_review_experiment(db)
    decide(db, number, "technical")
    outcome = decide(db, number, "ethics", "reject", reason="Uses data without consent")
    assert (outcome.moved_to, outcome.experiment.status) == (v.Status.REJECTED, v.Status.REJECTED)
    ethics = detail(db, number).reviews[1]
    assert (ethics.status, ethics.reviewer_id, ethics.reason) == (
        v.ReviewState.REJECTED,
        "U_ETHICS",
        "Uses data without consent",
    )
    assert state(db, number).audit[-1] == (
        "status:rejected",
        "U_ETHICS",
        "in_review → rejected: ethics review: Uses data without consent",
    )

    with refused(db, number, InvalidTransition, f"You can't submit EXP-1: EXP-1 was rejected. {CLOSED}"):
        submit(db, number)
    with refused(db, number, InvalidTransition, f"EXP-1 was rejected. {CLOSED}"):
        tick(db, number, "documentation")
    with refused(
        db, number, InvalidTransition, f"You can't approve the business review: EXP-1 was rejected. {CLOSED}"
    ):
        decide(db, number, "business")
    with refused(db, number, InvalidTransition, f"You can't promote EXP-1: EXP-1 was rejected. {CLOSED}"):
        promote(db, number)
    with refused(db, number, InvalidTransition, f"You can't withdraw EXP-1: EXP-1 was rejected. {CLOSED}"):
        withdraw(db, number)
    with refused(db, number, InvalidTransition, f"record metrics for EXP-1: EXP-1 was rejected. {CLOSED}"):
        record_metrics(db, number, accuracy=0.9)


def test_an_experiment_waiting_for_changes_may_still_be_rejected(db: Database) -> None:
    number = _changes_requested(db)
    outcome = decide(db, number, "business", "reject", reason="On reflection, no business case")
    assert outcome.moved_to == v.Status.REJECTED
    assert status(db, number) == v.Status.REJECTED


def test_a_reject_never_overwrites_an_approval(db: Database) -> None:
    number = _changes_requested(db)
    with refused(db, number, InvalidTransition, "The ethics review of EXP-1 was already decided (approved)"):
        decide(db, number, "ethics", "reject", reason="On reflection, not ethical")


# Withdrawing


def test_the_owner_may_withdraw_an_open_experiment(db: Database) -> None:
    number = in_review_experiment(db)
    outcome = withdraw(db, number, reason="  Superseded by EXP-4 ")
    assert (outcome.moved_to, outcome.experiment.status) == (v.Status.WITHDRAWN, v.Status.WITHDRAWN)
    assert state(db, number).audit[-1] == (
        "status:withdrawn",
        OWNER,
        "in_review → withdrawn: Superseded by EXP-4",
    )

    number = propose(db)
    withdraw(db, number)
    assert state(db, number).audit[-1] == ("status:withdrawn", OWNER, "proposed → withdrawn")


def test_withdrawing_by_someone_other_than_the_owner_is_refused(db: Database) -> None:
    number = in_review_experiment(db)
    with refused(db, number, NotAllowed, "Only the owner of EXP-1 may withdraw it."):
        withdraw(db, number, actor=REVIEWERS["technical"])


def test_withdrawing_with_an_overlong_reason_is_refused(db: Database) -> None:
    number = in_review_experiment(db)
    with refused(db, number, InvalidInput, "The reason is 1001 characters; keep it to 1000."):
        withdraw(db, number, reason="x" * 1001)


def test_a_production_experiment_cannot_be_withdrawn(db: Database) -> None:
    number = production_experiment(db)
    with refused(
        db, number, InvalidTransition, f"You can't withdraw EXP-1: EXP-1 is already in production. {CLOSED}"
    ):
        withdraw(db, number)


def test_a_withdrawn_experiment_refuses_everything_after(db: Database) -> None:
    number = in_review_experiment(db)
    withdraw(db, number)
    with refused(db, number, InvalidTransition, f"EXP-1 was withdrawn. {CLOSED}"):
        decide(db, number, "technical")
    with refused(db, number, InvalidTransition, f"You can't withdraw EXP-1: EXP-1 was withdrawn. {CLOSED}"):
        withdraw(db, number)


def test_the_detail_a_card_is_rendered_from_matches_the_full_read_at_every_stage(db: Database) -> None:
    """`detail_of` (one read for the experiment and its reviews, fewer for a proposed one) sees
    what `detail` sees, from proposal to production; a missing experiment is None."""

    def both(number: int) -> tuple[object, object]:
        with db.read() as session:
            experiment = experiments.get(session, team_id=TEAM_ID, number=number)
            assert experiment.id is not None
            full, one_read = (
                experiments.detail(session, experiment),
                experiments.detail_of(session, experiment.id),
            )
        assert one_read is not None

        def seen(d: experiments.ExperimentDetail) -> tuple[object, ...]:
            return (
                d.experiment.status,
                [(r.kind, r.status, r.reviewer_id) for r in d.reviews],
                [(i.key, i.checked_by) for i in d.checklist],
                [(a.role, a.approver_id) for a in d.approvals],
                [(m.name, m.value) for m in d.metrics],
                [b.id for b in d.bias_checks],
            )

        return seen(full), seen(one_read)

    number = propose(db)
    record_metrics(db, number, accuracy=0.9)
    with db.read() as session:
        experiment_id = experiments.get(session, team_id=TEAM_ID, number=number).id
        assert experiment_id is not None
        # Both reads skip these tables for a proposed experiment: it must have nothing in them.
        assert not storage_experiments.checklist(session, experiment_id=experiment_id)
        assert not storage_experiments.approvals(session, experiment_id=experiment_id)
        assert not bias_checks.of_experiment(session, experiment_id=experiment_id)
    stages = [both(number)]
    stages.append(both(reviewed_experiment(db)))
    stages.append(both(production_experiment(db)))
    for full, one_read in stages:
        assert one_read == full
    assert [full[0] for full, _ in stages] == [v.Status.PROPOSED, v.Status.REVIEWED, v.Status.PRODUCTION]
    assert stages[0][0][4] == [("accuracy", 0.9)]
    assert stages[2][0][3] != []  # the sign-offs are there to compare
    with db.read() as session:
        assert experiments.detail_of(session, 999_999) is None
