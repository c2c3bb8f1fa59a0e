"""The registry's news, as MLflow's webhooks bring it, judged against the team's approvals:
plain workflow calls with the events MLflow sends, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from mlplatform.client import RunFacts
from mlplatform.links import Link, LinkKind
from mlplatform.webhooks import Event
from storage.db import Database
from storage.models import AuditEvent, Delivery, EvidenceLink, RoleAssignment, Workspace
from storage.types import utcnow
from tests.fakeslack import TEAM_ID
from tests.workflow.conftest import make_experiment
from workflow import links, registry
from workflow import vocabulary as v
from workflow.delivery import Kind, RegistryNews, RegistryNotice, args_of

GUARD = registry.Registry(guarded={"production", "champion"}, alert_channel="C_ALERTS")


def _event(event: str, delivery_id: str, **data: object) -> Event:
    entity, action = event.rsplit(".", 1)
    return Event(delivery_id=delivery_id, entity=entity, action=action, data=dict(data))


def _notices(db: Database, kind: Kind = Kind.NOTICE) -> list[RegistryNotice]:
    with db.read() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == kind)).all()
    found = [args_of(row) for row in rows]
    return [n for n in found if isinstance(n, RegistryNotice)]


def _with_run(db: Database, status: v.Status = v.Status.REVIEWED) -> int:
    experiment = make_experiment(db, status=status, since=utcnow() - timedelta(days=1))
    with db.session() as session:
        for role, user in ((v.Role.SECURITY, "USEC"), (v.Role.TECHNICAL_LEAD, "ULEAD")):
            session.add(RoleAssignment(team_id=TEAM_ID, user_id=user, role=role, granted_by="UADMIN"))
        links.link(
            session,
            team_id=TEAM_ID,
            number=experiment.number,
            actor_id="U_OWNER",
            found=[
                (
                    links.Asked(Link(LinkKind.RUN, run_id="r1")),
                    RunFacts(run_id="r1", name="xgb", status="FINISHED", experiment_id="1"),
                )
            ],
        )
        session.execute(Delivery.__table__.delete())  # type: ignore[attr-defined]
    return experiment.number


def test_a_tagged_version_is_linked_to_the_experiment_the_tag_names(db: Database) -> None:
    number = _with_run(db)
    with db.session() as session:
        said = registry.handle(
            session,
            _event(
                "model_version_tag.set",
                "d1",
                name="churn",
                version="3",
                key="aiteam.experiment",
                value=f"EXP-{number}",
            ),
            GUARD,
        )
    assert "linked to EXP-" in said
    with db.read() as session:
        versions = session.exec(select(EvidenceLink).where(EvidenceLink.model == "churn")).all()
    assert [(x.version, x.role) for x in versions] == [("3", v.EvidenceRole.MODEL)]
    assert [n.news for n in _notices(db)] == [RegistryNews.VERSION_LINKED]


def test_a_guarded_alias_on_a_version_no_experiment_owns_alerts_the_alert_channel(db: Database) -> None:
    _with_run(db)
    with db.session() as session:
        if session.get(Workspace, TEAM_ID) is None:
            session.add(Workspace(team_id=TEAM_ID))
        registry.handle(
            session,
            _event("model_version_alias.created", "d2", name="other", version="1", alias="champion"),
            GUARD,
        )
        registry.handle(
            session,
            _event("model_version_alias.created", "d3", name="other", version="1", alias="staging"),
            GUARD,
        )
    alerts = _notices(db, Kind.REGISTRY_ALERT)
    assert [(a.news, a.alias, set(a.people)) for a in alerts] == [
        (RegistryNews.OUTSIDE_APPROVAL, "champion", {"USEC", "ULEAD"})
    ]
    with db.read() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == Kind.REGISTRY_ALERT)).all()
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == v.AuditAction.ALIAS_OUTSIDE_APPROVAL)
        ).all()
    assert [r.channel_id for r in rows] == ["C_ALERTS"]
    assert [(a.experiment_id, a.detail) for a in audit] == [(None, "champion on other v1 (no experiment)")]


def test_a_repeated_delivery_is_refused_and_the_alias_removal_of_an_unreleased_model_is_only_kept(
    db: Database,
) -> None:
    number = _with_run(db)
    created = _event("model_version.created", "d4", name="churn", version="1", run_id="r1")
    with db.session() as session:
        registry.handle(session, created, GUARD)
    try:
        with db.session() as session:
            registry.handle(session, created, GUARD)
        raise AssertionError("a repeated delivery was handled twice")
    except registry.Repeated:
        pass
    with db.session() as session:
        registry.handle(
            session,
            _event("model_version_alias.created", "d5", name="churn", version="1", alias="production"),
            GUARD,
        )
        registry.handle(
            session, _event("model_version_alias.deleted", "d6", name="churn", alias="production"), GUARD
        )
    news = [n.news for n in _notices(db)]
    # Linked once, one alert (EXP is only reviewed), and no note for removing it from a model
    # that is not in production.
    assert news == [RegistryNews.VERSION_LINKED, RegistryNews.OUTSIDE_APPROVAL], (number, news)
