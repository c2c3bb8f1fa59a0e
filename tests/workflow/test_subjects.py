"""The card-bearing subjects: found, named and redrawn by Ref, whatever their kind."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Delivery, Experiment, Project, SentMessage
from tests.fakeslack import TEAM_ID
from workflow import delivery, projects, proposals, subjects
from workflow.errors import NotFound
from workflow.outcome import Outcome
from workflow.refs import Ref, Subject


def _sent(db: Database) -> list[str]:
    with db.read() as session:
        return [m.ts for m in session.exec(select(SentMessage)).all()]


def _queued(db: Database) -> list[tuple[str, int | None]]:
    with db.read() as session:
        return [(d.kind, d.subject_id) for d in session.exec(select(Delivery).order_by(Delivery.id)).all()]


def test_every_subject_has_a_spec() -> None:
    assert set(subjects.SUBJECTS) == set(Subject)


def test_rows_are_named_by_the_ref_people_see() -> None:
    experiment = Experiment(
        team_id=TEAM_ID, number=12, hypothesis="h", workstream="x", owner_id="U", timeline_weeks=2
    )
    project = Project(id=3, team_id=TEAM_ID, name="p", name_key="p", workstream="x", owner_id="U")
    assert subjects.ref_of(experiment) == Ref.experiment(12)
    assert subjects.ref_of(project) == Ref.project(3)
    with pytest.raises(TypeError, match="has no card"):
        subjects.ref_of(SentMessage(team_id=TEAM_ID, channel_id="C", ts="1", digest="d"))


@pytest.mark.parametrize("kind", list(Subject))
def test_a_redraw_forgets_what_was_sent_and_queues_the_card_in_full(db: Database, kind: Subject) -> None:
    with db.session() as session:
        if kind is Subject.EXPERIMENT:
            row: Experiment | Project = Experiment(
                team_id=TEAM_ID, number=4, hypothesis="h", workstream="x", owner_id="U", timeline_weeks=2
            )
        else:
            row = Project(team_id=TEAM_ID, name="p", name_key="p", workstream="x", owner_id="U")
        row.channel_id, row.message_ts = "C1", "111.1"
        session.add(row)
        session.flush()
        ref = subjects.ref_of(row)
        row_id = row.id
        delivery.remember_sent(session, team_id=TEAM_ID, channel_id="C1", ts="111.1", digest="old")
        delivery.remember_sent(session, team_id=TEAM_ID, channel_id="C1", ts="999.9", digest="other")
    with db.session() as session:
        subjects.redraw(session, team_id=TEAM_ID, ref=ref)
    assert _sent(db) == ["999.9"]
    assert _queued(db) == [(str(kind), row_id)]
    with db.session() as session, pytest.raises(NotFound):
        subjects.redraw(session, team_id="T_OTHER", ref=ref)


def test_problems_are_found_by_ref(db: Database) -> None:
    with db.session() as session:
        project = Project(team_id=TEAM_ID, name="p", name_key="p", workstream="x", owner_id="U")
        session.add(project)
        session.flush()
        assert subjects.problems(session, team_id=TEAM_ID, ref=subjects.ref_of(project)) == []
        with pytest.raises(NotFound, match="no EXP-9"):
            subjects.problems(session, team_id=TEAM_ID, ref=Ref.experiment(9))


def test_an_outcome_names_its_subject_by_ref(db: Database) -> None:
    experiment = proposals.propose(db, team_id=TEAM_ID, owner_id="U", hypothesis="H", channel_id="C1")
    with db.session() as session:
        project = projects.create(session, team_id=TEAM_ID, owner_id="U", name="p", channel_id="C1")
    assert Outcome(experiment).ref == Ref.experiment(experiment.number)
    assert project.id is not None and Outcome(project).ref == Ref.project(project.id)
