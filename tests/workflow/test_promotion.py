"""Promotion: the request for sign-off, the three sign-offs, rejection at sign-off, the deployment plan."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest

from storage.db import Database
from tests.fakeslack import TEAM_ID
from tests.workflow.review_steps import (
    ALL_KEYS,
    CLOSED,
    OWNER,
    REVIEWERS,
    SELF_APPROVAL,
    SIGNERS,
    STRANGER,
    approved_experiment,
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
    reject_promotion,
    reviewed_experiment,
    sign_off,
    state,
    status,
    submit,
    tick,
    trail,
    withdraw,
)
from workflow import experiments, promotion
from workflow import vocabulary as v
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotReady
from workflow.outcome import Outcome

ALL_SIGN_OFFS = ["sign-off from technical_lead", "sign-off from product_owner", "sign-off from security"]
ALL_CHECKLIST = [f"checklist: {label}" for label in v.CHECKLIST.values()]


@pytest.fixture
def db(db: Database) -> Database:
    """The parametrized database, with the reviewers and sign-off holders given their roles."""
    build_team(db)
    return db


# Requesting promotion


def test_promote_moves_a_reviewed_experiment_to_approved(db: Database) -> None:
    number = reviewed_experiment(db)
    outcome = promote(db, number)
    assert (outcome.changed, outcome.moved_to, outcome.note) == (True, v.Status.APPROVED, None)
    assert state(db, number).audit[-1] == (
        "status:approved",
        OWNER,
        "reviewed → approved: sign-off requested",
    )


def test_promote_by_someone_other_than_the_owner_is_refused(db: Database) -> None:
    number = reviewed_experiment(db)
    with refused(db, number, NotAllowed, "Only the owner of EXP-1 may request its promotion."):
        promote(db, number, actor=SIGNERS["technical_lead"])


def test_promoting_twice_changes_nothing_and_says_who_is_awaited(db: Database) -> None:
    number = approved_experiment(db)
    before = state(db, number)
    again = promote(db, number)
    assert (again.changed, again.moved_to) == (False, None)
    assert again.note == (
        "EXP-1 is already waiting for sign-off from technical_lead, product_owner, security; see its thread."
    )
    assert state(db, number) == before

    sign_off(db, number, "product_owner")
    assert promote(db, number).note == (
        "EXP-1 is already waiting for sign-off from technical_lead, security; see its thread."
    )


def test_promoting_a_proposed_experiment_lists_everything_missing(db: Database) -> None:
    number = propose(db)
    with refused(db, number, NotReady, "EXP-1 can't be promoted yet. Missing: submission for review") as info:
        promote(db, number)
    assert info.value.missing == [
        "submission for review (`/experiment submit EXP-1 <artifacts>`)",
        "technical review (pending)",
        "ethics review (pending)",
        "business review (pending)",
        *ALL_CHECKLIST,
        *ALL_SIGN_OFFS,
    ]
    assert str(info.value) == "EXP-1 can't be promoted yet. Missing: " + "; ".join(info.value.missing) + "."


def test_promoting_half_way_through_review_names_exactly_what_is_left(db: Database) -> None:
    number = in_review_experiment(db)
    tick(db, number, "model_performance", "safety_evaluation", "documentation")
    decide(db, number, "ethics")
    with refused(db, number, NotReady, "EXP-1 can't be promoted yet.") as info:
        promote(db, number)
    assert info.value.missing == [
        "technical review (pending)",
        "business review (pending)",
        "checklist: Cost projection acceptable",
        "checklist: Rollback plan defined",
        *ALL_SIGN_OFFS,
    ]


def test_promoting_while_changes_are_requested_names_the_review_that_asked(db: Database) -> None:
    number = in_review_experiment(db)
    tick(db, number, *ALL_KEYS)
    decide(db, number, "technical")
    decide(db, number, "business", "request_changes", reason="Cost projection is missing")
    with refused(
        db, number, NotReady, "Missing: ethics review (pending); business review (changes requested)"
    ) as info:
        promote(db, number)
    assert info.value.missing == [
        "ethics review (pending)",
        "business review (changes requested)",
        *ALL_SIGN_OFFS,
    ]
    assert isinstance(info.value, InvalidTransition)


@pytest.mark.parametrize(
    "close, words",
    [
        (lambda db, n: decide(db, n, "ethics", "reject", reason="Not ethical"), "was rejected"),
        (lambda db, n: withdraw(db, n), "was withdrawn"),
    ],
)
def test_promoting_a_closed_experiment_is_refused(
    db: Database, close: Callable[[Database, int], Outcome], words: str
) -> None:
    number = in_review_experiment(db)
    close(db, number)
    with refused(db, number, InvalidTransition, f"You can't promote EXP-1: EXP-1 {words}. {CLOSED}"):
        promote(db, number)


def test_promoting_a_production_experiment_is_refused(db: Database) -> None:
    number = production_experiment(db)
    with refused(
        db, number, InvalidTransition, f"You can't promote EXP-1: EXP-1 is already in production. {CLOSED}"
    ):
        promote(db, number)


# Signing off


def test_sign_offs_by_three_people_put_it_in_production(db: Database) -> None:
    number = approved_experiment(db)
    first = sign_off(db, number, "security")
    assert (first.changed, first.moved_to, first.experiment.status) == (True, None, v.Status.APPROVED)
    second = sign_off(db, number, "technical_lead")
    assert (second.changed, second.moved_to) == (True, None)
    last = sign_off(db, number, "product_owner")
    assert (last.changed, last.moved_to, last.experiment.status) == (
        True,
        v.Status.PRODUCTION,
        v.Status.PRODUCTION,
    )
    assert [(a.role, a.approver_id) for a in detail(db, number).approvals] == [
        ("security", "U_SEC"),
        ("technical_lead", "U_LEAD"),
        ("product_owner", "U_PO"),
    ]
    assert trail(db, number)[-4:] == [
        ("sign-off:security", "U_SEC"),
        ("sign-off:technical_lead", "U_LEAD"),
        ("sign-off:product_owner", "U_PO"),
        ("status:production", "U_PO"),
    ]


def test_signing_off_twice_changes_nothing(db: Database) -> None:
    number = approved_experiment(db)
    sign_off(db, number, "security")
    before = state(db, number)
    again = sign_off(db, number, "security")
    assert (again.changed, again.moved_to, again.note) == (
        False,
        None,
        "You already signed off EXP-1 as security.",
    )
    assert state(db, number) == before

    # Still a no-op, not a refusal, once the experiment is in production.
    sign_off(db, number, "technical_lead")
    sign_off(db, number, "product_owner")
    before = state(db, number)
    late = sign_off(db, number, "security")
    assert (late.changed, late.moved_to, late.experiment.status) == (False, None, v.Status.PRODUCTION)
    assert state(db, number) == before


def test_a_sign_off_without_the_role_is_refused(db: Database) -> None:
    number = approved_experiment(db)
    with refused(
        db, number, NotAllowed, "Only holders of the `security` role may sign off EXP-1 as security."
    ):
        sign_off(db, number, "security", actor=STRANGER)
    with refused(db, number, NotAllowed, "Only holders of the `security` role"):
        sign_off(db, number, "security", actor=SIGNERS["technical_lead"])
    with refused(db, number, NotAllowed, "Only holders of the `product_owner` role"):
        sign_off(db, number, "product_owner", actor=REVIEWERS["business"])


def test_the_owner_may_not_sign_off_their_own_experiment(db: Database) -> None:
    grant(db, OWNER, "security")
    number = approved_experiment(db)
    with refused(
        db,
        number,
        NotAllowed,
        "You can't sign off EXP-1 as security: EXP-1 is your own experiment, and someone",
    ):
        sign_off(db, number, "security", actor=OWNER)


def test_the_owner_may_sign_off_when_self_approval_is_allowed(db: Database) -> None:
    grant(db, OWNER, "security")
    number = approved_experiment(db)
    outcome = sign_off(db, number, "security", actor=OWNER, policy=SELF_APPROVAL)
    assert outcome.changed is True
    assert [(a.role, a.approver_id) for a in detail(db, number).approvals] == [("security", OWNER)]


def test_one_person_may_not_give_two_sign_offs(db: Database) -> None:
    grant(db, "U_LEAD", "product_owner")
    number = approved_experiment(db)
    sign_off(db, number, "technical_lead", actor="U_LEAD")
    with refused(
        db,
        number,
        NotAllowed,
        "You already signed off EXP-1 as technical_lead; each sign-off needs a different person.",
    ):
        sign_off(db, number, "product_owner", actor="U_LEAD")


def test_one_person_may_give_two_sign_offs_when_self_approval_is_allowed(db: Database) -> None:
    grant(db, "U_LEAD", "product_owner")
    number = approved_experiment(db)
    sign_off(db, number, "technical_lead", actor="U_LEAD")
    outcome = sign_off(db, number, "product_owner", actor="U_LEAD", policy=SELF_APPROVAL)
    assert outcome.changed is True
    assert [(a.role, a.approver_id) for a in detail(db, number).approvals] == [
        ("technical_lead", "U_LEAD"),
        ("product_owner", "U_LEAD"),
    ]


def test_a_role_signed_off_by_someone_else_is_refused(db: Database) -> None:
    grant(db, "U_SEC2", "security")
    number = approved_experiment(db)
    sign_off(db, number, "security")
    with refused(db, number, NotAllowed, "EXP-1 already has its security sign-off."):
        sign_off(db, number, "security", actor="U_SEC2")


def test_signing_off_before_promotion_is_refused(db: Database) -> None:
    number = reviewed_experiment(db)
    with refused(
        db,
        number,
        InvalidTransition,
        "You can't sign off EXP-1 as security: EXP-1 is reviewed and waiting to be promoted. That becomes "
        "possible once its owner runs `/experiment promote EXP-1`.",
    ):
        sign_off(db, number, "security")


def test_an_unknown_sign_off_role_is_refused(db: Database) -> None:
    number = approved_experiment(db)
    with refused(
        db,
        number,
        InvalidInput,
        "`technical_reviewer` is not a sign-off role; they are technical_lead, product_owner, security.",
    ):
        sign_off(db, number, "technical_reviewer", actor=REVIEWERS["technical"])


# Rejecting at sign-off


def test_rejecting_at_sign_off_closes_the_experiment(db: Database) -> None:
    number = approved_experiment(db)
    sign_off(db, number, "technical_lead")
    outcome = reject_promotion(db, number, actor="U_SEC", reason="  Fails the PII audit ")
    assert (outcome.moved_to, outcome.experiment.status) == (v.Status.REJECTED, v.Status.REJECTED)
    assert state(db, number).audit[-1] == (
        "status:rejected",
        "U_SEC",
        "approved → rejected: at sign-off: Fails the PII audit",
    )
    with refused(
        db,
        number,
        InvalidTransition,
        f"You can't sign off EXP-1 as product_owner: EXP-1 was rejected. {CLOSED}",
    ):
        sign_off(db, number, "product_owner")
    with refused(db, number, InvalidTransition, f"You can't promote EXP-1: EXP-1 was rejected. {CLOSED}"):
        promote(db, number)
    with refused(db, number, InvalidTransition, f"You can't reject EXP-1: EXP-1 was rejected. {CLOSED}"):
        reject_promotion(db, number, actor="U_PO")
    with refused(db, number, InvalidTransition, f"You can't withdraw EXP-1: EXP-1 was rejected. {CLOSED}"):
        withdraw(db, number)


def test_rejecting_at_sign_off_needs_a_sign_off_role_and_not_the_owner(db: Database) -> None:
    grant(db, OWNER, "security")
    number = approved_experiment(db)
    with refused(db, number, NotAllowed, "You can't reject EXP-1: EXP-1 is your own experiment"):
        reject_promotion(db, number, actor=OWNER)
    with refused(
        db,
        number,
        NotAllowed,
        "Only holders of technical_lead, product_owner, security may reject EXP-1 at sign-off.",
    ):
        reject_promotion(db, number, actor=REVIEWERS["ethics"])


def test_rejecting_at_sign_off_needs_a_reason(db: Database) -> None:
    number = approved_experiment(db)
    with refused(db, number, InvalidInput, "Say why, so the owner knows what to change."):
        reject_promotion(db, number, actor="U_SEC", reason=" ")
    with refused(db, number, InvalidInput, "The reason is 1001 characters; keep it to 1000."):
        reject_promotion(db, number, actor="U_SEC", reason="x" * 1001)


def test_rejecting_at_sign_off_before_promotion_is_refused(db: Database) -> None:
    number = reviewed_experiment(db)
    with refused(
        db, number, InvalidTransition, "You can't reject EXP-1: EXP-1 is reviewed and waiting to be promoted."
    ):
        reject_promotion(db, number, actor="U_SEC")


# Simultaneous clicks


def _race(calls: list[Callable[[], Outcome]]) -> list[Outcome]:
    """Run every call at once, each in its own thread; return their outcomes, re-raising any error."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], Outcome]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return outcomes


@pytest.mark.parametrize("round_", range(3))
def test_simultaneous_sign_offs_and_double_clicks_reach_production_once(db: Database, round_: int) -> None:
    number = approved_experiment(db)
    clicks = [(role, user) for role, user in SIGNERS.items() for _ in range(2)]
    outcomes = _race([partial(sign_off, db, number, role, actor=user) for role, user in clicks])

    assert len(outcomes) == 6
    assert sorted(o.changed for o in outcomes) == [False] * 3 + [True] * 3
    assert [o.moved_to for o in outcomes].count(v.Status.PRODUCTION) == 1
    assert [o.moved_to for o in outcomes].count(None) == 5
    d = detail(db, number)
    assert d.experiment.status == v.Status.PRODUCTION
    assert sorted((a.role, a.approver_id) for a in d.approvals) == sorted(SIGNERS.items())
    actions = [action for action, _ in trail(db, number)]
    assert actions.count("status:production") == 1
    assert sorted(a for a in actions if a.startswith("sign-off:")) == sorted(f"sign-off:{r}" for r in SIGNERS)
    assert actions[-1] == "status:production"


def test_simultaneous_review_approvals_make_it_reviewed_once(db: Database) -> None:
    number = in_review_experiment(db)
    tick(db, number, *ALL_KEYS)
    clicks = [kind for kind in v.ReviewKind for _ in range(2)]
    outcomes = _race([partial(decide, db, number, kind) for kind in clicks])

    assert sorted(o.changed for o in outcomes) == [False] * 3 + [True] * 3
    assert [o.moved_to for o in outcomes].count(v.Status.REVIEWED) == 1
    assert status(db, number) == v.Status.REVIEWED
    actions = [action for action, _ in trail(db, number)]
    assert actions.count("status:reviewed") == 1
    assert sorted(a for a in actions if a.startswith("review:")) == sorted(
        f"review:{k}" for k in v.ReviewKind
    )


# The deployment plan


def _plan(db: Database, number: int) -> promotion.DeploymentPlan:
    with db.session() as session:
        return promotion.deployment_plan(
            experiments.detail(session, experiments.get(session, team_id=TEAM_ID, number=number))
        )


def test_deployment_plan_takes_the_rollback_from_the_artifacts_and_alerts_from_the_metrics(
    db: Database,
) -> None:
    number = propose(db)
    submit(db, number, artifacts="eval: https://x rollback: flip flag exp_12 off; owner on call")
    record_metrics(db, number, accuracy=0.92, latency_ms=400)
    plan = _plan(db, number)
    assert plan.rollback == "flip flag exp_12 off"
    assert plan.stages == promotion.ROLLOUT_STAGES
    assert plan.alert_channel == "C_TEAM"
    assert plan.review_on == detail(db, number).experiment.status_changed_at + timedelta(days=14)
    assert [(t.metric.name, t.lower_is_better) for t in plan.thresholds] == [
        ("accuracy", False),
        ("latency_ms", True),
    ]
    accuracy, latency = plan.thresholds
    assert accuracy.limit == pytest.approx(0.9 * 0.92)
    assert latency.limit == pytest.approx(1.1 * 400)


def test_deployment_plan_without_a_rollback_or_metrics(db: Database) -> None:
    number = propose(db)
    submit(db, number, artifacts="eval: https://evals.example/1 model card: https://cards.example/1")
    plan = _plan(db, number)
    assert plan.rollback is None
    assert plan.thresholds == []


@pytest.mark.parametrize(
    "artifacts, rollback",
    [
        ("eval: https://x rollback: flip flag exp_12 off; owner on call", "flip flag exp_12 off"),
        ("Rollback plan - redeploy v3\nEval: https://x", "redeploy v3"),
        ("ROLLBACK=disable the route", "disable the route"),
        ("eval: https://x\nrollback:   revert PR 42  ", "revert PR 42"),
        ("eval: https://x, no rollback needed", None),
        ("dashboard https://grafana.example/d/rollback-monitor: latency", None),
        ("rollback-plan: redeploy v3", "redeploy v3"),
        ("", None),
        (None, None),
    ],
)
def test_rollback_plan_is_read_from_the_artifacts(artifacts: str | None, rollback: str | None) -> None:
    assert promotion.rollback_plan(artifacts) == rollback


@pytest.mark.parametrize(
    "name, lower_is_better",
    [
        ("accuracy", False),
        ("f1", False),
        ("win_rate", False),
        ("latency_ms", True),
        ("p95_latency", True),
        ("cost_per_1k", True),
        ("error_rate", True),
        ("eval_loss", True),
        ("toxicity", True),
        ("tokens_per_s", False),
        ("cost_savings", False),
        ("error_reduction", False),
        ("uptime", False),
    ],
)
def test_thresholds_know_which_way_is_worse(db: Database, name: str, lower_is_better: bool) -> None:
    number = propose(db)
    record_metrics(db, number, **{name: 200.0})
    (threshold,) = _plan(db, number).thresholds
    assert threshold.lower_is_better is lower_is_better
    assert threshold.limit == pytest.approx(220.0 if lower_is_better else 180.0)


@pytest.mark.parametrize(("name", "limit"), [("delta", -1.1), ("latency_ms", -0.9)])
def test_thresholds_of_negative_values_are_still_ten_percent_worse(
    db: Database, name: str, limit: float
) -> None:
    number = propose(db)
    record_metrics(db, number, **{name: -1.0})
    (threshold,) = _plan(db, number).thresholds
    assert threshold.limit == pytest.approx(limit)
