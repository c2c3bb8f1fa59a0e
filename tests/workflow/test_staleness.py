"""Decisions go stale when the evidence they were made on changes, before production only."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from storage.db import Database
from storage.models import Approval, AuditEvent, Delivery, Review
from tests.workflow.review_steps import (
    build_team,
    decide,
    detail,
    in_review_experiment,
    production_experiment,
    promote,
    record_metrics,
    refused,
    reviewed_experiment,
    sign_off,
    status,
    tick,
)
from workflow import delivery
from workflow import vocabulary as v
from workflow.delivery import Kind
from workflow.errors import InvalidTransition


@pytest.fixture(autouse=True)
def team(db: Database) -> None:
    build_team(db)


def _stale_events(db: Database) -> list[str]:
    with db.read() as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == v.AuditAction.STALE).order_by(col(AuditEvent.id))
        ).all()
        return [e.detail or "" for e in events]


def _notices(db: Database) -> list[object]:
    with db.read() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == Kind.NOTICE).order_by(col(Delivery.id)))
        return [delivery.args_of(r) for r in rows.all()]


def _reviewed_with_metric(db: Database) -> int:
    number = in_review_experiment(db)
    record_metrics(db, number, accuracy=0.91)
    return _all_approved(db, number)


def _all_approved(db: Database, number: int) -> int:
    tick(db, number, *v.CHECKLIST)
    for kind in v.ReviewKind:
        decide(db, number, kind)
    assert status(db, number) == v.Status.REVIEWED
    return number


def test_a_changed_metric_reopens_the_reviews_made_on_it_and_says_what_changed(db: Database) -> None:
    number = _reviewed_with_metric(db)
    outcome = record_metrics(db, number, accuracy=0.84)
    assert status(db, number) == v.Status.IN_REVIEW
    assert outcome.note is not None and "accuracy 0.91 → 0.84" in outcome.note
    reviews = detail(db, number).reviews
    assert {(r.status, r.reviewer_id, r.stale_note) for r in reviews} == {
        (v.ReviewState.PENDING, None, "accuracy 0.91 → 0.84")
    }
    assert _stale_events(db) == ["technical review, ethics review, business review: accuracy 0.91 → 0.84"]
    (stale,) = [n for n in _notices(db) if isinstance(n, delivery.WentStale)]
    assert stale.people == ("U_TECH", "U_ETHICS", "U_BIZ")
    # The same value again is no change; deciding again clears the mark and completes the review.
    before = _stale_events(db)
    record_metrics(db, number, accuracy=0.84)
    assert _stale_events(db) == before
    for kind in v.ReviewKind:
        decide(db, number, kind)
    assert status(db, number) == v.Status.REVIEWED
    assert all(r.stale_note is None for r in detail(db, number).reviews)


def test_each_review_goes_stale_against_the_evidence_it_was_made_on(db: Database) -> None:
    number = in_review_experiment(db)
    record_metrics(db, number, accuracy=0.91)
    decide(db, number, v.ReviewKind.TECHNICAL)
    record_metrics(db, number, accuracy=0.84)
    decide(db, number, v.ReviewKind.ETHICS)  # made on the new value: it stands
    states = {r.kind: (r.status, r.stale_note) for r in detail(db, number).reviews}
    assert states == {
        v.ReviewKind.TECHNICAL: (v.ReviewState.PENDING, "accuracy 0.91 → 0.84"),
        v.ReviewKind.ETHICS: (v.ReviewState.APPROVED, None),
        v.ReviewKind.BUSINESS: (v.ReviewState.PENDING, None),
    }
    record_metrics(db, number, latency_ms=420)
    states = {r.kind: (r.status, r.stale_note) for r in detail(db, number).reviews}
    assert states[v.ReviewKind.ETHICS] == (v.ReviewState.PENDING, "latency_ms recorded: 420")
    assert states[v.ReviewKind.TECHNICAL] == (v.ReviewState.PENDING, "accuracy 0.91 → 0.84")


def test_unticking_reopens_approvals_and_ticking_one_more_item_does_not(db: Database) -> None:
    number = in_review_experiment(db)
    tick(db, number, "documentation")
    decide(db, number, v.ReviewKind.TECHNICAL)
    tick(db, number, "rollback_plan")
    assert detail(db, number).reviews[0].status == v.ReviewState.APPROVED
    outcome = tick(db, number, untick=("documentation",))
    assert outcome.note is not None and "reopened" in outcome.note
    assert detail(db, number).reviews[0].stale_note == "unticked Documentation complete"


def test_a_sign_off_stops_counting_and_promote_asks_all_three_again(db: Database) -> None:
    number = _reviewed_with_metric(db)
    promote(db, number)
    sign_off(db, number, v.Role.TECHNICAL_LEAD)
    record_metrics(db, number, accuracy=0.84)
    e = detail(db, number).experiment
    assert (e.status, e.signoff_note) == (v.Status.IN_REVIEW, "the evidence changed (accuracy 0.91 → 0.84)")
    with db.read() as session:
        assert session.exec(select(Approval)).all() == []
    assert _stale_events(db)[-1] == (
        "technical review, ethics review, business review, technical_lead sign-off: accuracy 0.91 → 0.84"
    )
    # The other two sign-offs, even from buttons still shown somewhere, cannot reach production.
    for role in (v.Role.PRODUCT_OWNER, v.Role.SECURITY):
        with refused(db, number, InvalidTransition, "is in review"):
            sign_off(db, number, role)
    for kind in v.ReviewKind:
        decide(db, number, kind)
    promote(db, number)
    e = detail(db, number).experiment
    assert (e.status, e.signoff_note, e.approval_message_ts) == (v.Status.APPROVED, None, None)
    for role in (v.Role.PRODUCT_OWNER, v.Role.SECURITY):
        sign_off(db, number, role)
    assert status(db, number) == v.Status.APPROVED  # the technical lead must sign again
    sign_off(db, number, v.Role.TECHNICAL_LEAD)
    assert status(db, number) == v.Status.PRODUCTION


def test_after_production_a_change_is_post_launch_and_reopens_nothing(db: Database) -> None:
    number = production_experiment(db)
    record_metrics(db, number, accuracy=0.5)
    assert status(db, number) == v.Status.PRODUCTION
    assert _stale_events(db) == []
    with db.read() as session:
        metrics = session.exec(select(AuditEvent).where(AuditEvent.action == v.AuditAction.METRICS)).all()
    assert metrics[-1].detail == "post-launch: accuracy=0.5"


def test_decisions_without_kept_evidence_never_go_stale(db: Database) -> None:
    """Decisions given before evidence was kept (no snapshot) are not made stale retroactively."""
    number = reviewed_experiment(db)
    with db.session() as session:
        for review in session.exec(select(Review)).all():
            review.evidence = None
            session.add(review)
    record_metrics(db, number, accuracy=0.5)
    assert status(db, number) == v.Status.REVIEWED
    assert _stale_events(db) == []


def _owner_news(db: Database) -> list[delivery.News]:
    with db.read() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == Kind.OWNER_DM).order_by(col(Delivery.id)))
        news = [delivery.args_of(r) for r in rows.all()]
    return [n.news for n in news if isinstance(n, delivery.OwnerNews)]


def test_the_owner_is_told_when_someone_else_makes_decisions_stale_not_when_they_do(db: Database) -> None:
    number = _reviewed_with_metric(db)
    assert _owner_news(db) == [delivery.News.REVIEWED]
    record_metrics(db, number, accuracy=0.84)  # the owner's own change: they know
    assert _owner_news(db) == [delivery.News.REVIEWED]
    for kind in v.ReviewKind:
        decide(db, number, kind)
    record_metrics(db, number, actor="U_TECH", accuracy=0.80)  # a reviewer's change
    assert _owner_news(db)[-1] == delivery.News.STALE
    decide(db, number, v.ReviewKind.BUSINESS, "reject", reason="No business case")
    assert _owner_news(db)[-1] == delivery.News.REJECTED
