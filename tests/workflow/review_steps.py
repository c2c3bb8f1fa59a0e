"""Driving experiments through review and promotion with the real workflow functions.

Each step is one unit of work (`with db.session()`), as a Slack request would be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlmodel import col, func, select

from storage import audit, roles
from storage import experiments as queries
from storage.db import Database
from storage.models import AuditEvent
from tests.fakeslack import TEAM_ID
from workflow import experiments, metrics, promotion, proposals, review
from workflow import vocabulary as v
from workflow.errors import WorkflowError
from workflow.outcome import Outcome
from workflow.permissions import Policy

POLICY = Policy(allow_self_approval=False, admin_user_ids=frozenset())
SELF_APPROVAL = Policy(allow_self_approval=True, admin_user_ids=frozenset())

OWNER = "U_OWNER"
STRANGER = "U_STRANGER"
REVIEWERS = {"technical": "U_TECH", "ethics": "U_ETHICS", "business": "U_BIZ"}
SIGNERS = {"technical_lead": "U_LEAD", "product_owner": "U_PO", "security": "U_SEC"}
ALL_KEYS = tuple(v.CHECKLIST)
ARTIFACTS = "eval: https://evals.example/exp rollback: flip flag exp_12 off; owner on call"

CLOSED = "It is closed; propose a new experiment to try again."


def grant(db: Database, user: str, *role_names: str) -> None:
    with db.session() as session:
        for role in role_names:
            roles.grant(session, team_id=TEAM_ID, user_id=user, role=role, granted_by="U_ADMIN")


def build_team(db: Database) -> None:
    """Each reviewer and each sign-off holder gets exactly their one role; the owner none."""
    for kind, user in REVIEWERS.items():
        grant(db, user, v.REVIEWER_ROLE[kind])
    for role, user in SIGNERS.items():
        grant(db, user, role)


def propose(db: Database, *, owner: str = OWNER, hypothesis: str = "Retrieval improves accuracy") -> int:
    return proposals.propose(
        db, team_id=TEAM_ID, owner_id=owner, hypothesis=hypothesis, channel_id="C_TEAM"
    ).number


def submit(db: Database, number: int, *, actor: str = OWNER, artifacts: str = ARTIFACTS) -> Outcome:
    with db.session() as session:
        return review.submit(session, team_id=TEAM_ID, number=number, actor_id=actor, artifacts=artifacts)


def tick(db: Database, number: int, *keys: str, actor: str = OWNER, untick: tuple[str, ...] = ()) -> Outcome:
    with db.session() as session:
        return review.tick(
            session, team_id=TEAM_ID, number=number, actor_id=actor, ticked=keys, unticked=untick
        )


def decide(
    db: Database,
    number: int,
    kind: str,
    decision: str = "approve",
    *,
    actor: str | None = None,
    reason: str = "",
    policy: Policy = POLICY,
) -> Outcome:
    with db.session() as session:
        return review.decide(
            session,
            team_id=TEAM_ID,
            number=number,
            kind=kind,
            decision=decision,
            actor_id=actor or REVIEWERS[kind],
            policy=policy,
            reason=reason,
        )


def promote(db: Database, number: int, *, actor: str = OWNER) -> Outcome:
    with db.session() as session:
        return promotion.promote(session, team_id=TEAM_ID, number=number, actor_id=actor)


def sign_off(
    db: Database, number: int, role: str, *, actor: str | None = None, policy: Policy = POLICY
) -> Outcome:
    with db.session() as session:
        return promotion.sign_off(
            session, team_id=TEAM_ID, number=number, role=role, actor_id=actor or SIGNERS[role], policy=policy
        )


def reject_promotion(
    db: Database, number: int, *, actor: str, reason: str = "Fails the PII audit", policy: Policy = POLICY
) -> Outcome:
    with db.session() as session:
        return promotion.reject_promotion(
            session, team_id=TEAM_ID, number=number, actor_id=actor, reason=reason, policy=policy
        )


def withdraw(db: Database, number: int, *, actor: str = OWNER, reason: str = "") -> Outcome:
    with db.session() as session:
        return review.withdraw(session, team_id=TEAM_ID, number=number, actor_id=actor, reason=reason)


def record_metrics(db: Database, number: int, *, actor: str = OWNER, **values: float) -> Outcome:
    with db.session() as session:
        return metrics.record(session, team_id=TEAM_ID, number=number, actor_id=actor, values=values)


# Builders: an experiment in a given status, reached through the real steps. They expect build_team.


def in_review_experiment(db: Database) -> int:
    number = propose(db)
    submit(db, number)
    return number


def reviewed_experiment(db: Database) -> int:
    number = in_review_experiment(db)
    tick(db, number, *ALL_KEYS)
    for kind in v.ReviewKind:
        decide(db, number, kind)
    assert status(db, number) == v.Status.REVIEWED
    return number


def approved_experiment(db: Database) -> int:
    number = reviewed_experiment(db)
    promote(db, number)
    assert status(db, number) == v.Status.APPROVED
    return number


def production_experiment(db: Database) -> int:
    number = approved_experiment(db)
    for role in v.APPROVER_ROLES:
        sign_off(db, number, role)
    assert status(db, number) == v.Status.PRODUCTION
    return number


# Reading state back, each in a fresh session.


def status(db: Database, number: int) -> str:
    with db.session() as session:
        return experiments.get(session, team_id=TEAM_ID, number=number).status


def detail(db: Database, number: int) -> experiments.ExperimentDetail:
    with db.session() as session:
        return experiments.detail(session, experiments.get(session, team_id=TEAM_ID, number=number))


def trail(db: Database, number: int) -> list[tuple[str, str]]:
    """(action, actor) of each audit record of the experiment, oldest first."""
    with db.session() as session:
        experiment = experiments.get(session, team_id=TEAM_ID, number=number)
        assert experiment.id is not None
        events = audit.for_experiment(session, team_id=TEAM_ID, experiment_id=experiment.id)
        return [(e.action, e.actor_id) for e in events]


def audit_count(db: Database) -> int:
    """Every audit record in the database, experiment or not."""
    with db.session() as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def workspace_events(db: Database) -> list[tuple[str, str, str | None]]:
    """(action, actor, detail) of the audit records that belong to no experiment, oldest first."""
    with db.session() as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.team_id == TEAM_ID, col(AuditEvent.experiment_id).is_(None))
            .order_by(col(AuditEvent.id))
        ).all()
        return [(e.action, e.actor_id, e.detail) for e in events]


@dataclass(frozen=True)
class State:
    """Everything a workflow step can write about one experiment."""

    status: str
    updated_at: datetime
    artifacts: str | None
    reviews: tuple[tuple[str, str, str | None, str | None], ...]
    checklist: tuple[tuple[str, str | None], ...]
    approvals: tuple[tuple[str, str], ...]
    metrics: tuple[tuple[str, float, str], ...]
    audit: tuple[tuple[str, str, str | None], ...]
    audit_total: int


def state(db: Database, number: int) -> State:
    with db.session() as session:
        e = experiments.get(session, team_id=TEAM_ID, number=number)
        assert e.id is not None
        events = audit.for_experiment(session, team_id=TEAM_ID, experiment_id=e.id)
        return State(
            status=e.status,
            updated_at=e.updated_at,
            artifacts=e.artifacts,
            reviews=tuple(
                (r.kind, r.status, r.reviewer_id, r.reason)
                for r in queries.reviews(session, experiment_id=e.id)
            ),
            checklist=tuple((i.key, i.checked_by) for i in queries.checklist(session, experiment_id=e.id)),
            approvals=tuple((a.role, a.approver_id) for a in queries.approvals(session, experiment_id=e.id)),
            metrics=tuple(
                (m.name, m.value, m.recorded_by) for m in queries.metrics(session, experiment_id=e.id)
            ),
            audit=tuple((a.action, a.actor_id, a.detail) for a in events),
            audit_total=session.exec(select(func.count()).select_from(AuditEvent)).one(),
        )


@contextmanager
def refused(
    db: Database, number: int, error: type[WorkflowError], says: str
) -> Iterator[pytest.ExceptionInfo[WorkflowError]]:
    """The block raises exactly `error`, whose message contains `says`, and writes nothing."""
    before = state(db, number)
    with pytest.raises(error, match=re.escape(says)) as info:
        yield info
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert info.value.message == str(info.value)
    assert state(db, number) == before
