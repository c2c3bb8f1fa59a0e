"""Bias checks at the workflow level, on both databases: only ethics reviewers record them, bad
input is refused on its field and stores nothing, and REQUIRE_BIAS_CHECK gates the approval."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import BiasCheck, Review
from tests.fakeslack import TEAM_ID
from tests.workflow.review_steps import (
    OWNER,
    POLICY,
    REVIEWERS,
    STRANGER,
    build_team,
    decide,
    in_review_experiment,
    propose,
)
from workflow import bias_checks
from workflow import vocabulary as v
from workflow.errors import NotAllowed, NotFound
from workflow.permissions import Policy

NOW = datetime.fromisoformat("2026-11-30T10:00:00+00:00")
STRICT = Policy(require_bias_check=True)
ETHICS = REVIEWERS["ethics"]


@pytest.fixture(autouse=True)
def team(db: Database) -> None:
    build_team(db)


def _record(
    db: Database,
    number: int,
    *,
    user: str = ETHICS,
    checks: tuple[str, ...] = ("subgroup_performance", "privacy_pii"),
    data: str | None = "eval-v3, non-English slice",
    findings: str | None = "Recall 4 points lower for es-MX",
    result: str | None = bias_checks.PASSED,
) -> BiasCheck:
    with db.session() as session:
        return bias_checks.record(
            session,
            team_id=TEAM_ID,
            user_id=user,
            number=number,
            checks=checks,
            data=data,
            findings=findings,
            result=result,
            now=NOW,
        )


def _stored(db: Database) -> list[BiasCheck]:
    with db.read() as session:
        return list(session.exec(select(BiasCheck)).all())


def test_an_ethics_reviewer_records_checks_with_who_and_when(db: Database) -> None:
    number = in_review_experiment(db)
    check = _record(db, number)
    assert (check.reviewer_id, check.created_at, check.result) == (ETHICS, NOW, bias_checks.PASSED)
    assert check.checks == "subgroup_performance,privacy_pii"


@pytest.mark.parametrize("user", [OWNER, STRANGER, REVIEWERS["technical"]])
def test_only_an_ethics_reviewer_may_record_checks(db: Database, user: str) -> None:
    number = in_review_experiment(db)
    with pytest.raises(NotAllowed, match="`ethics_reviewer`"):
        _record(db, number, user=user)
    assert _stored(db) == []


def test_checks_wait_for_the_submission_and_an_unknown_experiment_is_refused(db: Database) -> None:
    with pytest.raises(NotAllowed, match="not submitted yet"):
        _record(db, propose(db))
    with pytest.raises(NotFound):
        _record(db, 99)
    assert _stored(db) == []


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"checks": ()}, bias_checks.CHECKS_FIELD, "Tick the checks"),
        ({"checks": ("astrology",)}, bias_checks.CHECKS_FIELD, "Tick the checks"),
        ({"data": "  "}, bias_checks.DATA, "evaluation data or slice"),
        ({"data": "x" * 501}, bias_checks.DATA, "keep it to 500"),
        ({"findings": "tell <!channel>"}, bias_checks.FINDINGS, "Don't ping"),
        ({"result": None}, bias_checks.RESULT, "passed or concerns"),
        ({"result": "fine"}, bias_checks.RESULT, "passed or concerns"),
    ],
)
def test_bad_input_is_refused_on_its_field(db: Database, fields: dict, field: str, says: str) -> None:
    number = in_review_experiment(db)
    with pytest.raises(bias_checks.BiasCheckInvalid) as refused:
        _record(db, number, **fields)
    assert says in refused.value.errors[field]
    assert _stored(db) == []


def _ethics(db: Database) -> str:
    with db.read() as session:
        return next(r.status for r in session.exec(select(Review)).all() if r.kind == "ethics")


def test_with_require_bias_check_the_approval_waits_for_a_passed_check(db: Database) -> None:
    number = in_review_experiment(db)
    with pytest.raises(NotAllowed, match="requires a recorded bias check with result \\*passed\\*"):
        decide(db, number, "ethics", policy=STRICT)
    _record(db, number, result=bias_checks.CONCERNS)
    with pytest.raises(NotAllowed, match="REQUIRE_BIAS_CHECK"):
        decide(db, number, "ethics", policy=STRICT)
    assert _ethics(db) == v.ReviewState.PENDING
    _record(db, number, result=bias_checks.PASSED)
    decide(db, number, "ethics", policy=STRICT)
    assert _ethics(db) == v.ReviewState.APPROVED


def test_by_default_the_approval_stands_without_a_check(db: Database) -> None:
    number = in_review_experiment(db)
    decide(db, number, "ethics", policy=POLICY)
    assert _ethics(db) == v.ReviewState.APPROVED
    # Other reviews never need a bias check, even when it is required.
    decide(db, number, "technical", policy=STRICT)
