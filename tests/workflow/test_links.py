"""Re-reading linked evidence: an outage keeps the last values and says so, a run gone from MLflow
is marked, and new values are recorded once, making the decisions made on the old ones stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from mlplatform.client import RunFacts
from mlplatform.errors import NotFound, Unreachable
from mlplatform.links import Link, LinkKind
from storage.db import Database
from storage.models import AuditEvent, Delivery, EvidenceLink, Experiment, Review
from storage.types import utcnow
from tests.fakeslack import TEAM_ID
from tests.workflow.conftest import make_experiment
from workflow import errors, links
from workflow import vocabulary as v
from workflow.delivery import Kind
from workflow.evidence import Evidence


def _run(accuracy: float) -> RunFacts:
    return RunFacts(
        run_id="r1", name="xgb", status="FINISHED", experiment_id="1", metrics={"accuracy": accuracy}
    )


def _linked(db: Database, **reviews: str) -> int:
    experiment = make_experiment(
        db, status=v.Status.IN_REVIEW, since=utcnow() - timedelta(days=1), reviews=reviews
    )
    with db.session() as session:
        links.link(
            session,
            team_id=experiment.team_id,
            number=experiment.number,
            actor_id="U_OWNER",
            found=[(links.Asked(Link(LinkKind.RUN, run_id="r1")), _run(0.87))],
        )
    assert experiment.id is not None
    return experiment.id


def _link(db: Database, experiment_id: int) -> EvidenceLink:
    with db.read() as session:
        return session.exec(select(EvidenceLink).where(EvidenceLink.experiment_id == experiment_id)).one()


def _reads(db: Database) -> list[str]:
    with db.read() as session:
        return [
            e.detail or ""
            for e in session.exec(select(AuditEvent).where(AuditEvent.action == "evidence:read"))
        ]


def test_an_outage_keeps_the_values_says_so_and_records_nothing(db: Database) -> None:
    experiment_id = _linked(db)
    before = _link(db, experiment_id)
    with db.session() as session:
        changes = links.record_reading(
            session,
            experiment_id=experiment_id,
            readings={before.id or 0: Unreachable("MLflow did not answer")},
        )
    after = _link(db, experiment_id)
    assert changes == [] and _reads(db) == []
    assert after.facts == before.facts and after.read_at == before.read_at
    assert after.read_error == "MLflow did not answer"


def test_a_run_gone_from_mlflow_is_marked_and_not_asked_for_again_at_once(db: Database) -> None:
    experiment_id = _linked(db)
    link = _link(db, experiment_id)
    with db.session() as session:
        links.record_reading(
            session, experiment_id=experiment_id, readings={link.id or 0: NotFound("MLflow has no run `r1`")}
        )
    gone = _link(db, experiment_id)
    assert gone.read_error == "gone from MLflow: MLflow has no run `r1`"
    assert gone.read_at is not None and link.read_at is not None and gone.read_at > link.read_at
    with db.session() as session:
        assert links.read_due(session, every=timedelta(minutes=15), now=utcnow() + timedelta(minutes=1)) == 0


def test_new_values_are_recorded_once_and_make_the_decisions_on_the_old_ones_stale(db: Database) -> None:
    experiment_id = _linked(db)
    with db.session() as session:
        review = session.exec(select(Review).where(Review.experiment_id == experiment_id)).first()
        assert review is not None
        experiment = session.get(Experiment, experiment_id)
        assert experiment is not None
        evidence = Evidence.of(session, experiment)
        review.status, review.reviewer_id, review.decided_at = v.ReviewState.APPROVED, "U_TECH", utcnow()
        review.evidence = evidence.encode()
        session.add(review)
    link_id = _link(db, experiment_id).id or 0
    for _ in range(2):  # the second read finds nothing new
        with db.session() as session:
            links.record_reading(session, experiment_id=experiment_id, readings={link_id: _run(0.93)})
    assert _reads(db) == ["run xgb: accuracy 0.87 → 0.93"]
    with db.read() as session:
        reopened = session.get(Review, review.id)
        assert reopened is not None and reopened.status == v.ReviewState.PENDING
        assert reopened.stale_note == "run xgb: accuracy 0.87 → 0.93"


def test_waiting_experiments_are_queued_for_a_reread_once_their_copy_is_old(db: Database) -> None:
    experiment_id = _linked(db)
    with db.session() as session:
        assert links.read_due(session, every=timedelta(minutes=15), now=utcnow()) == 0
    with db.session() as session:
        assert links.read_due(session, every=timedelta(minutes=15), now=utcnow() + timedelta(minutes=16)) == 1
        assert links.read_due(session, every=timedelta(minutes=15), now=utcnow() + timedelta(minutes=16)) == 1
    with db.read() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == Kind.EVIDENCE_READ)).all()
    # Asked twice while one waits: one row (it coalesces), in the evidence's own stream.
    assert [(r.subject_id, r.stream) for r in rows] == [(experiment_id, f"evidence:{experiment_id}")]


def test_linking_what_is_linked_already_records_nothing(db: Database) -> None:
    experiment_id = _linked(db)
    with db.read() as session:
        experiment = session.get(Experiment, experiment_id)
        assert experiment is not None
        number = experiment.number
    with db.session() as session:
        again = links.link(
            session,
            team_id=experiment.team_id,
            number=number,
            actor_id="U_OWNER",
            found=[(links.Asked(Link(LinkKind.RUN, run_id="r1")), _run(0.87))],
        )
    assert not again.changed and again.note == "That evidence is linked already."
    with db.read() as session:
        linked = session.exec(select(AuditEvent).where(AuditEvent.action == "evidence:linked")).all()
    assert len(linked) == 1


def _try_link(db: Database, *, number: int, actor_id: str) -> None:
    with db.session() as session:
        links.link(
            session,
            team_id=TEAM_ID,
            number=number,
            actor_id=actor_id,
            found=[(links.Asked(Link(LinkKind.RUN, run_id="r9")), _run(0.5))],
        )


def test_a_wrong_id_a_stranger_or_a_closed_experiment_is_refused_and_nothing_is_linked(db: Database) -> None:
    open_one = make_experiment(db, status=v.Status.IN_REVIEW, since=utcnow())
    closed = make_experiment(db, status=v.Status.REJECTED, since=utcnow())

    with pytest.raises(errors.NotFound, match="EXP-99"):
        _try_link(db, number=99, actor_id="U_OWNER")
    # Neither its owner nor anyone holding a team role.
    with pytest.raises(errors.NotAllowed, match=f"Only the owner of EXP-{open_one.number}"):
        _try_link(db, number=open_one.number, actor_id="U_STRANGER")
    with pytest.raises(errors.InvalidTransition, match="It is closed"):
        _try_link(db, number=closed.number, actor_id="U_OWNER")

    with db.read() as session:
        assert session.exec(select(EvidenceLink)).all() == []
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "evidence:linked")).all() == []
