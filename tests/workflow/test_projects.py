"""Projects, members, milestones and links, on SQLite and PostgreSQL: each rule and each refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from storage.db import Database
from storage.experiments import Slot
from storage.models import AuditEvent, Delivery, Milestone, Project, ProjectExperiment, ProjectMember
from workflow import experiments, projects, proposals
from workflow.errors import InvalidInput, NotAllowed, NotFound, WorkflowError
from workflow.permissions import Policy

TEAM = "T1"
TODAY = date(2026, 12, 1)
POLICY = Policy(admin_user_ids=frozenset({"U_ADMIN"}))


def _create(db: Database, name: str = "support-bot", **kwargs: object) -> int:
    with db.session() as session:
        project = projects.create(
            session, team_id=TEAM, owner_id="U_OWNER", name=name, channel_id="C1", **kwargs
        )
        assert project.id is not None
        return project.id


def _propose(db: Database, owner: str = "U_OWNER") -> int:
    return proposals.propose(db, team_id=TEAM, owner_id=owner, hypothesis="H", channel_id="C1").number


def _counts(db: Database) -> tuple[int, ...]:
    with db.read() as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Project, ProjectMember, Milestone, ProjectExperiment, AuditEvent, Delivery)
        )


def test_create_makes_the_owner_the_first_member_audits_and_queues_the_card(db: Database) -> None:
    project_id = _create(db, "Support-Bot", workstream="production", members=["U_ANA"])
    with db.read() as session:
        project = session.get(Project, project_id)
        assert project is not None
        d = projects.detail(session, project, today=TODAY)
        _, events = projects.history(session, team_id=TEAM, name="support-bot")
        queued = session.exec(select(Delivery)).all()
    assert (project.name, project.workstream) == ("Support-Bot", "production")
    assert [m.user_id for m in d.members] == ["U_OWNER", "U_ANA"]
    assert [(e.action, e.actor_id) for e in events] == [("project:created", "U_OWNER")]
    assert [(q.kind, q.stream, q.coalesce_key) for q in queued] == [
        ("project", f"project:{project_id}", f"project:{project_id}")
    ]


def test_milestones_are_numbered_moved_with_history_and_done(db: Database) -> None:
    _create(db)
    with db.session() as session:
        for due, title in [("2026-12-10", "Pilot with support team"), ("2027-01-15", "Launch")]:
            projects.add_milestone(
                session,
                team_id=TEAM,
                actor_id="U_OWNER",
                name="support-bot",
                due=due,
                title=title,
                today=TODAY,
            )
    with db.session() as session:
        projects.move_milestone(
            session,
            team_id=TEAM,
            actor_id="U_OWNER",
            name="support-bot",
            milestone="m2",
            due="2027-02-01",
            today=TODAY,
        )
        projects.complete_milestone(
            session, team_id=TEAM, actor_id="U_OWNER", name="support-bot", milestone="M1"
        )
    with db.read() as session:
        project = projects.get(session, team_id=TEAM, name="support-bot")
        d = projects.detail(session, project, today=TODAY)
        _, events = projects.history(session, team_id=TEAM, name="support-bot")
    assert [(m.number, m.title, m.due_on, m.done_at is not None) for m in d.milestones] == [
        (1, "Pilot with support team", date(2026, 12, 10), True),
        (2, "Launch", date(2027, 2, 1), False),
    ]
    assert ("project:milestone_moved", "M2 2027-01-15 → 2027-02-01") in [(e.action, e.detail) for e in events]


def test_link_and_unlink_and_archive(db: Database) -> None:
    _create(db)
    number = _propose(db)
    with db.session() as session:
        projects.link(
            session, team_id=TEAM, actor_id="U_OWNER", name="support-bot", experiment_ref=f"EXP-{number}"
        )
    with db.read() as session:
        project = projects.get(session, team_id=TEAM, name="support-bot")
        assert [e.number for e in projects.detail(session, project, today=TODAY).experiments] == [number]
    with db.session() as session:
        projects.unlink(
            session, team_id=TEAM, actor_id="U_OWNER", name="support-bot", experiment_ref=str(number)
        )
        projects.archive(session, team_id=TEAM, actor_id="U_ADMIN", name="support-bot", policy=POLICY)
    with db.read() as session:
        assert projects.list_projects(session, team_id=TEAM, user_id="U_OWNER") == []
        _, events = projects.history(session, team_id=TEAM, name="support-bot")
    assert [e.action for e in events][-3:] == ["project:linked", "project:unlinked", "project:archived"]


def test_a_status_change_of_a_linked_experiment_queues_the_project_card(db: Database) -> None:
    from workflow import lifecycle
    from workflow import vocabulary as v

    project_id = _create(db)
    number = _propose(db)
    with db.session() as session:
        projects.link(
            session, team_id=TEAM, actor_id="U_OWNER", name="support-bot", experiment_ref=str(number)
        )
    with db.session() as session:
        for row in session.exec(select(Delivery)).all():
            row.state = "delivered"
            session.add(row)
    with db.session() as session:
        experiment = experiments.get(session, team_id=TEAM, number=number)
        lifecycle.move(session, experiment, v.Status.WITHDRAWN, actor_id="U_OWNER")
    with db.read() as session:
        pending = session.exec(select(Delivery).where(Delivery.state == "pending")).all()
    assert {(r.kind, r.subject_id) for r in pending} >= {("project", project_id)}


Step = Callable[[Session], object]


def _refusals() -> list[tuple[str, Step, type[WorkflowError], str]]:
    def milestone(
        actor: str = "U_OWNER", name: str = "support-bot", due: str = "2026-12-10", title: str = "T"
    ):
        return lambda s: projects.add_milestone(
            s, team_id=TEAM, actor_id=actor, name=name, due=due, title=title, today=TODAY
        )

    return [
        ("unknown project", milestone(name="nope"), NotFound, "There is no project `nope`"),
        (
            "duplicate name",
            lambda s: projects.create(s, team_id=TEAM, owner_id="U2", name="SUPPORT-bot"),
            InvalidInput,
            "already a project called",
        ),
        (
            "name with spaces",
            lambda s: projects.create(s, team_id=TEAM, owner_id="U2", name="support bot"),
            InvalidInput,
            "no spaces",
        ),
        (
            "name too long",
            lambda s: projects.create(s, team_id=TEAM, owner_id="U2", name="x" * 41),
            InvalidInput,
            "at most 40 characters",
        ),
        ("date not YYYY-MM-DD", milestone(due="12/10/2026"), InvalidInput, "write it as `YYYY-MM-DD`"),
        ("impossible date", milestone(due="2026-02-30"), InvalidInput, "write it as `YYYY-MM-DD`"),
        ("date in the past", milestone(due="2026-11-30"), InvalidInput, "is in the past"),
        (
            "unknown milestone",
            lambda s: projects.complete_milestone(
                s, team_id=TEAM, actor_id="U_OWNER", name="support-bot", milestone="M9"
            ),
            NotFound,
            "has no milestone M9",
        ),
        (
            "not a milestone",
            lambda s: projects.complete_milestone(
                s, team_id=TEAM, actor_id="U_OWNER", name="support-bot", milestone="9"
            ),
            InvalidInput,
            "milestones are `M1`",
        ),
        ("non-member changing milestones", milestone(actor="U_STRANGER"), NotAllowed, "Only members of"),
        (
            "non-owner archiving",
            lambda s: projects.archive(
                s, team_id=TEAM, actor_id="U_STRANGER", name="support-bot", policy=POLICY
            ),
            NotAllowed,
            "Only the owner of support-bot",
        ),
        ("title pinging @channel", milestone(title="ship it <!channel>"), InvalidInput, "can't ping"),
        ("title pinging typed @here", milestone(title="ship it @here"), InvalidInput, "can't ping"),
        ("title too long", milestone(title="x" * 151), InvalidInput, "at most 150 characters"),
    ]


@pytest.mark.parametrize(("label", "step", "error", "message"), _refusals(), ids=[r[0] for r in _refusals()])
def test_refusals_write_nothing(
    db: Database, label: str, step: Step, error: type[WorkflowError], message: str
) -> None:
    _create(db)
    before = _counts(db)
    with pytest.raises(error) as raised, db.session() as session:
        step(session)
    assert message in raised.value.message
    assert _counts(db) == before


def test_linking_an_experiment_of_another_project_names_that_project(db: Database) -> None:
    _create(db)
    _create(db, "fraud-model")
    number = _propose(db)
    with db.session() as session:
        projects.link(
            session, team_id=TEAM, actor_id="U_OWNER", name="fraud-model", experiment_ref=str(number)
        )
    before = _counts(db)
    with pytest.raises(InvalidInput) as raised, db.session() as session:
        projects.link(
            session, team_id=TEAM, actor_id="U_OWNER", name="support-bot", experiment_ref=str(number)
        )
    assert f"EXP-{number} already belongs to project fraud-model" in raised.value.message
    assert _counts(db) == before


def test_only_the_experiment_owner_or_a_member_may_link(db: Database) -> None:
    _create(db)
    number = _propose(db, owner="U_OTHER")
    before = _counts(db)
    with pytest.raises(NotAllowed), db.session() as session:
        projects.link(
            session, team_id=TEAM, actor_id="U_STRANGER", name="support-bot", experiment_ref=str(number)
        )
    assert _counts(db) == before
    with db.session() as session:  # the experiment's owner may, without being a member
        projects.link(
            session, team_id=TEAM, actor_id="U_OTHER", name="support-bot", experiment_ref=str(number)
        )


def test_names_are_scoped_by_workspace(db: Database) -> None:
    _create(db)
    with db.session() as session:
        projects.create(session, team_id="T2", owner_id="U9", name="support-bot")
    with db.read() as session:
        assert [p.team_id for p in projects.list_projects(session, team_id="T2", user_id="U9")] == ["T2"]


def test_a_proposal_into_a_project_reads_first_then_writes_and_links(db: Database) -> None:
    project_id = _create(db, workstream="production")
    with db.read() as session:
        proposal = projects.prepare_into(
            session, team_id=TEAM, owner_id="U_ANA", name="support-bot", hypothesis="Caching helps"
        )
    assert (proposal.project_id, proposal.workstream) == (project_id, "production")
    with db.session() as session:
        experiment, project = projects.create_into(session, proposal, name="support-bot")
    assert project.id == project_id
    with db.read() as session:
        link = session.exec(select(ProjectExperiment)).one()
        _, events = projects.history(session, team_id=TEAM, name="support-bot")
    assert (link.experiment_id, link.linked_by) == (experiment.id, "U_ANA")
    assert events[-1].action == "project:linked"


def test_a_project_archived_between_the_read_and_the_write_is_refused_with_nothing_written(
    db: Database,
) -> None:
    _create(db)
    with db.read() as session:
        proposal = projects.prepare_into(
            session, team_id=TEAM, owner_id="U_OWNER", name="support-bot", hypothesis="Caching helps"
        )
    with db.session() as session:
        projects.archive(session, team_id=TEAM, actor_id="U_ADMIN", name="support-bot", policy=POLICY)
    before = _counts(db)
    with pytest.raises(InvalidInput, match="archived"), db.session() as session:
        projects.create_into(session, proposal, name="support-bot")
    assert _counts(db) == before
    with pytest.raises(InvalidInput, match="archived"), db.read() as session:
        projects.prepare_into(session, team_id=TEAM, owner_id="U_OWNER", name="support-bot", hypothesis="H2")


def test_an_experiment_cards_first_ts_redraws_its_projects_card(db: Database) -> None:
    """The project card links each experiment to its card by ts; one drawn before that ts was
    known must be drawn again once it is (found by bench.soak: the link stayed missing)."""
    project_id = _create(db)
    number = proposals.propose(
        db, team_id=TEAM, owner_id="U_OWNER", hypothesis="H", channel_id="C1", project="support-bot"
    ).number
    with db.session() as session:
        # Forget what the proposal queued (its card, the project's card): they were sent.
        for row in session.exec(select(Delivery)).all():
            session.delete(row)
    with db.session() as session:
        experiment = experiments.get(session, team_id=TEAM, number=number)
        assert experiment.id is not None
        assert experiments.record_posted(session, experiment_id=experiment.id, slot=Slot.CARD, ts="1.0")
        # A thread reply's ts, or the card's recorded again, changes no link.
        experiments.record_posted(session, experiment_id=experiment.id, slot=Slot.REVIEW, ts="2.0")
        assert not experiments.record_posted(session, experiment_id=experiment.id, slot=Slot.CARD, ts="1.0")
    with db.read() as session:
        queued = session.exec(select(Delivery)).all()
    assert [(q.kind, q.subject_id) for q in queued] == [("project", project_id)]
