"""What a decision rests on: the evidence snapshot, its digest, and its place beside each decision."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from storage.db import Database
from storage.models import Approval, AuditEvent, Experiment, Review
from tests.workflow.review_steps import (
    ALL_KEYS,
    ARTIFACTS,
    approved_experiment,
    build_team,
    decide,
    in_review_experiment,
    record_metrics,
    reject_promotion,
    sign_off,
    tick,
)
from workflow import vocabulary as v
from workflow.evidence import Evidence


@pytest.fixture(autouse=True)
def team(db: Database) -> None:
    build_team(db)


def _evidence(db: Database, number: int) -> Evidence:
    with db.read() as session:
        experiment = session.exec(select(Experiment).where(Experiment.number == number)).one()
        return Evidence.of(session, experiment)


def _events(db: Database) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def test_the_snapshot_holds_artifacts_metrics_and_ticks_and_names_them_by_digest(db: Database) -> None:
    number = in_review_experiment(db)
    empty = _evidence(db, number)
    assert (empty.artifacts, empty.metrics, empty.ticked) == (ARTIFACTS, (), ())
    record_metrics(db, number, latency_ms=420, accuracy=0.91)
    tick(db, number, "documentation", "model_performance")
    now = _evidence(db, number)
    assert now.metrics == (("accuracy", 0.91), ("latency_ms", 420.0))
    assert now.ticked == ("model_performance", "documentation")  # the checklist's order
    assert Evidence.decode(now.encode()) == now
    assert len(now.digest) == 12 and now.digest != empty.digest
    # The same value recorded again, or an item ticked again, is the same evidence.
    record_metrics(db, number, accuracy=0.91)
    tick(db, number, "documentation")
    assert _evidence(db, number).digest == now.digest


def test_changes_since_say_what_changed_for_people() -> None:
    before = Evidence("eval: a", (("accuracy", 0.91), ("cost", 3.0)), ("documentation",))
    after = Evidence("eval: b", (("accuracy", 0.84), ("latency_ms", 420.0)), ("model_performance",))
    assert after.changes_since(before) == [
        "artifacts changed",
        "accuracy 0.91 → 0.84",
        "cost removed (was 3)",
        "latency_ms recorded: 420",
        "ticked Model performance meets threshold",
        "unticked Documentation complete",
    ]
    assert after.changes_since(after) == []


def test_each_review_decision_keeps_its_evidence_and_names_it_in_the_trail(db: Database) -> None:
    number = in_review_experiment(db)
    record_metrics(db, number, accuracy=0.91)
    decide(db, number, v.ReviewKind.TECHNICAL)
    seen = _evidence(db, number)
    tick(db, number, "documentation")  # one more tick: the technical approval stands
    decide(db, number, v.ReviewKind.ETHICS, "request_changes", reason="Check the subgroups")
    later = _evidence(db, number)
    with db.read() as session:
        reviews = {r.kind: r for r in session.exec(select(Review)).all()}
    assert reviews[v.ReviewKind.TECHNICAL].evidence == seen.encode()
    assert reviews[v.ReviewKind.ETHICS].evidence == later.encode()
    assert reviews[v.ReviewKind.BUSINESS].evidence is None  # not decided
    decided = {(e.action, e.evidence_digest) for e in _events(db) if e.evidence_digest}
    assert decided == {
        (v.Step.review(v.ReviewKind.TECHNICAL), seen.digest),
        (v.Step.status(v.Status.CHANGES_REQUESTED), later.digest),
    }


def test_each_sign_off_and_a_rejection_at_sign_off_keep_their_evidence(db: Database) -> None:
    number = approved_experiment(db)
    tick_state = _evidence(db, number)
    assert tick_state.ticked == ALL_KEYS
    sign_off(db, number, v.Role.SECURITY)
    reject_promotion(db, number, actor="U_PO")
    with db.read() as session:
        (approval,) = session.exec(select(Approval)).all()
    assert approval.evidence == tick_state.encode()
    events = [e for e in _events(db) if e.evidence_digest == tick_state.digest]
    assert [(e.action, e.gate) for e in events][-2:] == [
        (v.Step.signoff(v.Role.SECURITY), None),
        (v.Step.status(v.Status.REJECTED), v.SignOff.SIGN_OFF),
    ]
