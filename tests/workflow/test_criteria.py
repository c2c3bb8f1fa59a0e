"""Success criteria: parsed from what people type, checked against the evidence, and declared on
an experiment (a change after submit is recorded and flagged)."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.fakeslack import TEAM_ID
from tests.workflow.review_steps import (
    ALL_KEYS,
    CLOSED,
    OWNER,
    STRANGER,
    build_team,
    decide,
    in_review_experiment,
    production_experiment,
    propose,
    record_metrics,
    refused,
    state,
    status,
    tick,
    withdraw,
)
from workflow import experiments, success
from workflow import vocabulary as v
from workflow.criteria import MAX_CHARS, MAX_CRITERIA, Criterion, all_pass, check, failing, parse, render
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed
from workflow.outcome import Outcome

# Parsing


@pytest.mark.parametrize(
    "text",
    [
        "accuracy>=0.90 latency_ms<=500",
        "accuracy >= 0.90 latency_ms <= 500",
        "accuracy>=0.9,latency_ms<=500",
        "accuracy >=0.9 ,  latency_ms<= 5e2",
        "  accuracy>=0.90\nlatency_ms<=500  ",
    ],
)
def test_spaces_around_operators_and_commas_between_criteria(text: str) -> None:
    assert parse(text) == (Criterion("accuracy", ">=", 0.9), Criterion("latency_ms", "<=", 500.0))


def test_every_operator_and_signed_numbers() -> None:
    assert parse("gain>0 loss<1e-3 delta>=-0.5 val/auc<=1") == (
        Criterion("gain", ">", 0.0),
        Criterion("loss", "<", 0.001),
        Criterion("delta", ">=", -0.5),
        Criterion("val/auc", "<=", 1.0),
    )


def test_no_text_is_no_criteria_and_renders_as_none() -> None:
    assert parse("  ") == ()
    assert render(()) is None


def test_render_is_canonical() -> None:
    assert render(parse("accuracy >= 0.90, latency_ms<=500.0")) == "accuracy>=0.9 latency_ms<=500"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("accuracy=0.9", "`accuracy=0.9` is not `metric>=value` (or `<=`, `>`, `<`)"),
        ("accuracy>=0.9 latency_ms", "`latency_ms` is not `metric>=value`"),
        ("accuracy=>0.9", "is not `metric>=value`"),
        ("9lives>=1", "`9lives>=1` is not `metric>=value`"),
        ("accuracy>=high", "`high` is not a number (in `accuracy>=high`)"),
        ("accuracy>=0.9.1", "`0.9.1` is not a number"),
        ("accuracy>=inf", "`inf` is not a finite number"),
        ("accuracy>=nan", "`nan` is not a finite number"),
        ("accuracy>=0.9 accuracy<=0.99", "`accuracy` has two criteria; give one per metric"),
    ],
)
def test_bad_criteria_are_refused_naming_the_culprit(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse(text)
    assert says in info.value.message


def test_at_most_ten_criteria() -> None:
    ten = " ".join(f"m{i}>=0" for i in range(MAX_CRITERIA))
    assert len(parse(ten)) == MAX_CRITERIA
    with pytest.raises(InvalidInput, match=f"At most {MAX_CRITERIA} criteria"):
        parse(ten + " m10>=0")


def test_too_long() -> None:
    text = "a" * 60 + ">=" + "1" * (MAX_CHARS - 61)
    with pytest.raises(
        InvalidInput, match=f"The criteria are {MAX_CHARS + 1} characters; keep them to {MAX_CHARS}"
    ):
        parse(text)


# Checking


CRITERIA = parse("accuracy>=0.9 latency_ms<=500")


def test_a_linked_run_decides_and_the_recorded_metrics_are_ignored() -> None:
    checks = check(
        CRITERIA,
        run={"accuracy": 0.87, "latency_ms": 420},
        run_name="xgb-1",
        recorded={"accuracy": 0.95},
    )
    assert [(c.value, c.source, c.passed) for c in checks] == [
        (0.87, "run xgb-1", False),
        (420, "run xgb-1", True),
    ]
    assert not all_pass(checks)
    assert failing(checks) == ["accuracy 0.87 (needs >=0.9)"]


def test_without_a_run_the_recorded_metrics_decide() -> None:
    checks = check(CRITERIA, run=None, run_name=None, recorded={"accuracy": 0.91, "latency_ms": 500})
    assert [(c.source, c.passed) for c in checks] == [("recorded", True), ("recorded", True)]
    assert all_pass(checks)
    assert failing(checks) == []


def test_a_missing_value_is_neither_pass_nor_fail_and_blocks() -> None:
    checks = check(CRITERIA, run={"accuracy": 0.93}, run_name="xgb-1", recorded={"latency_ms": 100})
    assert [(c.value, c.source, c.passed) for c in checks] == [
        (0.93, "run xgb-1", True),
        (None, None, None),
    ]
    assert not all_pass(checks)
    assert failing(checks) == ["latency_ms: no value yet (needs <=500)"]


@pytest.mark.parametrize(
    ("op", "value", "passes"),
    [(">=", 0.9, True), (">", 0.9, False), ("<=", 0.9, True), ("<", 0.9, False), (">", 0.91, True)],
)
def test_the_boundary_of_each_operator(op: str, value: float, passes: bool) -> None:
    assert Criterion("accuracy", op, 0.9).holds(value) is passes


# Declaring on an experiment


@pytest.fixture
def db(db: Database) -> Database:
    build_team(db)
    return db


def declare(db: Database, number: int, text: str, *, actor: str = OWNER) -> Outcome:
    with db.session() as session:
        return success.declare(session, team_id=TEAM_ID, number=number, actor_id=actor, text=text)


def criteria_of(db: Database, number: int) -> tuple[str | None, str | None]:
    with db.session() as session:
        experiment = experiments.get(session, team_id=TEAM_ID, number=number)
        return experiment.criteria, experiment.criteria_note


def test_declared_before_submit_is_recorded_without_a_flag(db: Database) -> None:
    number = propose(db)
    declare(db, number, "accuracy >= 0.90, latency_ms<=500")
    assert criteria_of(db, number) == ("accuracy>=0.9 latency_ms<=500", None)
    assert state(db, number).audit[-1] == (
        v.AuditAction.CRITERIA,
        OWNER,
        "none → accuracy>=0.9 latency_ms<=500",
    )


def test_changed_after_submit_is_flagged_and_in_the_history(db: Database) -> None:
    number = propose(db)
    declare(db, number, "accuracy>=0.9")
    in_review = in_review_experiment(db)
    declare(db, in_review, "accuracy>=0.9")
    declare(db, in_review, "accuracy>=0.8", actor="U_TECH")  # any team role may
    assert criteria_of(db, in_review) == (
        "accuracy>=0.8",
        "changed after submit (was accuracy>=0.9); see the history",
    )
    assert state(db, in_review).audit[-1] == (
        v.AuditAction.CRITERIA,
        "U_TECH",
        "accuracy>=0.9 → accuracy>=0.8",
    )
    assert criteria_of(db, number) == ("accuracy>=0.9", None)


def test_the_same_criteria_again_change_nothing(db: Database) -> None:
    number = in_review_experiment(db)
    declare(db, number, "accuracy>=0.9")
    before = state(db, number)
    outcome = declare(db, number, "accuracy >= 0.90")
    assert not outcome.changed and outcome.note == "EXP-1 already has those criteria."
    assert state(db, number) == before


def test_none_clears_them(db: Database) -> None:
    number = in_review_experiment(db)
    declare(db, number, "accuracy>=0.9")
    declare(db, number, "none")
    assert criteria_of(db, number) == (None, "changed after submit (was accuracy>=0.9); see the history")


@pytest.mark.parametrize(("accuracy", "reached"), [(0.92, v.Status.REVIEWED), (0.85, v.Status.IN_REVIEW)])
def test_the_criteria_decide_the_performance_item(db: Database, accuracy: float, reached: v.Status) -> None:
    number = in_review_experiment(db)
    declare(db, number, "accuracy>=0.9")
    record_metrics(db, number, accuracy=accuracy)
    tick(db, number, *(k for k in ALL_KEYS if k != "model_performance"))
    for kind in v.ReviewKind:
        decide(db, number, kind)
    assert status(db, number) == reached


def test_the_performance_item_is_not_ticked_by_hand_once_criteria_exist(db: Database) -> None:
    number = in_review_experiment(db)
    declare(db, number, "accuracy>=0.9")
    with refused(db, number, InvalidInput, "is checked against EXP-1's success criteria (`accuracy>=0.9`)"):
        tick(db, number, "model_performance")


def test_refused_with_nothing_written(db: Database) -> None:
    number = in_review_experiment(db)
    with refused(db, number, NotAllowed, "Only the owner of EXP-1 or someone holding a team role"):
        declare(db, number, "accuracy>=0.9", actor=STRANGER)
    with refused(db, number, InvalidInput, "`high` is not a number"):
        declare(db, number, "accuracy>=high")
    closed = propose(db)
    withdraw(db, closed)
    with refused(db, closed, InvalidTransition, CLOSED):
        declare(db, closed, "accuracy>=0.9")
    live = production_experiment(db)
    with refused(db, live, InvalidTransition, "You can't change the success criteria of EXP-"):
        declare(db, live, "accuracy>=0.9")


def test_a_criterion_finds_a_recorded_metric_whatever_its_case_and_a_run_metric_as_logged() -> None:
    (criterion,) = parse("F1>=0.8")
    recorded = check([criterion], run=None, run_name=None, recorded={"f1": 0.85})
    assert [c.passed for c in recorded] == [True]
    logged = check([criterion], run={"f1": 0.85}, run_name="xgb", recorded={})
    assert [c.value for c in logged] == [None]
