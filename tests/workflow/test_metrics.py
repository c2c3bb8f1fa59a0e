"""Parsing `name=value` metrics and recording them on an experiment."""

from __future__ import annotations

import re

import pytest

from storage.db import Database
from tests.workflow.review_steps import (
    CLOSED,
    OWNER,
    REVIEWERS,
    STRANGER,
    build_team,
    decide,
    detail,
    grant,
    in_review_experiment,
    production_experiment,
    propose,
    record_metrics,
    refused,
    state,
    withdraw,
)
from workflow import vocabulary as v
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from workflow.metrics import MAX_PER_COMMAND, parse_metrics


@pytest.fixture
def db(db: Database) -> Database:
    """The parametrized database, with the reviewers and sign-off holders given their roles."""
    build_team(db)
    return db


# Parsing


def test_parse_metrics_reads_names_and_numbers() -> None:
    assert parse_metrics(["accuracy=0.91", "latency_ms=420", " win_rate = 0.55 ", "delta=-1e-3"]) == {
        "accuracy": 0.91,
        "latency_ms": 420.0,
        "win_rate": 0.55,
        "delta": -0.001,
    }


def test_percentages_are_refused_so_thresholds_stay_on_one_scale() -> None:
    with pytest.raises(InvalidInput, match="Write `win_rate=55%` as a fraction"):
        parse_metrics(["win_rate=55%"])


def test_a_repeated_name_keeps_the_last_value() -> None:
    assert parse_metrics(["accuracy=0.8", "accuracy=0.9"]) == {"accuracy": 0.9}


def test_metric_names_are_case_folded() -> None:
    # Like roles, workstreams and filters, names are normalised to lowercase rather than refused.
    assert parse_metrics(["Acc=1", "LATENCY_MS=2"]) == {"acc": 1.0, "latency_ms": 2.0}


@pytest.mark.parametrize(
    "token, says",
    [
        ("accuracy", "`accuracy` is not `name=value`; names are lowercase letters, digits and `_`"),
        ("=1", "`=1` is not `name=value`"),
        ("1acc=1", "`1acc=1` is not `name=value`"),
        ("acc-1=1", "`acc-1=1` is not `name=value`"),
        ("a" * 41 + "=1", "is not `name=value`"),
        ("x=abc", "`abc` is not a number (in `x=abc`)."),
        ("x=", "`` is not a number (in `x=`)."),
        ("x=nan", "`nan` is not a finite number."),
        ("x=inf", "`inf` is not a finite number."),
        ("x=-Infinity", "`-Infinity` is not a finite number."),
    ],
)
def test_bad_metric_tokens_are_refused(token: str, says: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_metrics(["accuracy=0.9", token])
    assert type(info.value) is InvalidInput
    assert says in str(info.value)


def test_at_most_ten_metrics_at_a_time() -> None:
    ten = [f"m{i}=1" for i in range(MAX_PER_COMMAND)]
    assert MAX_PER_COMMAND == 10
    assert len(parse_metrics(ten)) == 10
    with pytest.raises(InvalidInput, match=re.escape("At most 10 metrics at a time.")):
        parse_metrics([*ten, "m10=1"])


def test_no_metrics_at_all_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Give at least one `name=value`"):
        parse_metrics([])


def test_a_name_of_forty_characters_is_fine() -> None:
    assert parse_metrics(["a" * 40 + "=1"]) == {"a" * 40: 1.0}


# Recording


def test_the_owner_records_metrics_with_an_audit_record(db: Database) -> None:
    number = propose(db)
    outcome = record_metrics(db, number, accuracy=0.91, latency_ms=420.0)
    assert (outcome.changed, outcome.moved_to, outcome.note) == (True, None, None)
    assert [(m.name, m.value, m.recorded_by) for m in detail(db, number).metrics] == [
        ("accuracy", 0.91, OWNER),
        ("latency_ms", 420.0, OWNER),
    ]
    assert state(db, number).audit[-1] == ("metrics", OWNER, "accuracy=0.91, latency_ms=420")


def test_recording_updates_changed_values_and_names_the_change(db: Database) -> None:
    number = propose(db)
    record_metrics(db, number, accuracy=0.91, latency_ms=420.0)
    outcome = record_metrics(
        db, number, actor=REVIEWERS["technical"], accuracy=0.93, latency_ms=420.0, cost=12.5
    )
    assert outcome.changed is True
    assert [(m.name, m.value, m.recorded_by) for m in detail(db, number).metrics] == [
        ("accuracy", 0.93, "U_TECH"),
        ("cost", 12.5, "U_TECH"),
        ("latency_ms", 420.0, OWNER),
    ]
    assert state(db, number).audit[-1] == ("metrics", "U_TECH", "accuracy: 0.91 → 0.93, cost=12.5")


def test_recording_the_same_values_again_changes_nothing(db: Database) -> None:
    number = propose(db)
    record_metrics(db, number, accuracy=0.91)
    before = state(db, number)
    outcome = record_metrics(db, number, accuracy=0.91)
    assert (outcome.changed, outcome.note) == (False, "Those values are already recorded.")
    assert state(db, number) == before


def test_anyone_holding_a_team_role_may_record_metrics(db: Database) -> None:
    grant(db, "U_ML", "ml_engineer")
    number = propose(db)
    assert record_metrics(db, number, actor="U_ML", accuracy=0.8).changed is True
    assert [(m.name, m.recorded_by) for m in detail(db, number).metrics] == [("accuracy", "U_ML")]


def test_a_stranger_may_not_record_metrics(db: Database) -> None:
    number = propose(db)
    with refused(
        db,
        number,
        NotAllowed,
        "Only the owner of EXP-1 or someone holding a team role (`/aiteam roles`) may record its metrics.",
    ):
        record_metrics(db, number, actor=STRANGER, accuracy=0.99)


def test_metrics_of_a_production_experiment_may_still_be_recorded(db: Database) -> None:
    number = production_experiment(db)
    assert record_metrics(db, number, accuracy=0.95).changed is True
    assert detail(db, number).experiment.status == v.Status.PRODUCTION


def test_metrics_of_a_withdrawn_or_rejected_experiment_are_refused(db: Database) -> None:
    withdrawn = in_review_experiment(db)
    withdraw(db, withdrawn)
    with refused(
        db, withdrawn, InvalidTransition, f"You can't record metrics for EXP-1: EXP-1 was withdrawn. {CLOSED}"
    ):
        record_metrics(db, withdrawn, accuracy=0.9)

    rejected = in_review_experiment(db)
    decide(db, rejected, "ethics", "reject", reason="Not ethical")
    with refused(db, rejected, InvalidTransition, f"EXP-2 was rejected. {CLOSED}"):
        record_metrics(db, rejected, accuracy=0.9)


def test_metrics_for_an_unknown_experiment_are_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match=re.escape("There is no experiment EXP-3 here.")):
        record_metrics(db, 3, accuracy=0.9)
