"""Proposing, finding and listing experiments, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from storage import audit
from storage.db import Database
from workflow import experiments, proposals
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotFound

TEAM = "T1"


def _propose(db: Database, text: str = "Retrieval helps", **kwargs: str) -> int:
    return proposals.propose(
        db, team_id=kwargs.pop("team_id", TEAM), owner_id="U1", hypothesis=text, **kwargs
    ).number


def test_propose_creates_pending_reviews_and_an_audit_record(db: Database) -> None:
    number = _propose(db, "  Retrieval   improves\naccuracy ", workstream="production")
    with db.session() as session:
        experiment = experiments.get(session, team_id=TEAM, number=number)
        d = experiments.detail(session, experiment)
        trail = audit.for_experiment(session, team_id=TEAM, experiment_id=experiment.id)
    assert experiment.hypothesis == "Retrieval improves accuracy"
    assert experiment.status == v.Status.PROPOSED
    assert experiment.timeline_weeks == v.WORKSTREAMS["production"]
    assert [(r.kind, r.status) for r in d.reviews] == [(k, v.ReviewState.PENDING) for k in v.ReviewKind]
    assert [(e.action, e.actor_id) for e in trail] == [("proposed", "U1")]
    assert experiment.created_at.tzinfo is not None


def test_numbers_count_per_workspace(db: Database) -> None:
    assert [_propose(db) for _ in range(3)] == [1, 2, 3]
    assert _propose(db, team_id="T2") == 1


def test_concurrent_proposals_get_distinct_numbers(db: Database) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda i: _propose(db, f"Hypothesis {i}"), range(24)))
    assert sorted(numbers) == list(range(1, 25))


def test_invalid_proposals_store_nothing(db: Database) -> None:
    for text, workstream, message in (
        ("", "experimentation", "Write the hypothesis"),
        ("x" * (v.HYPOTHESIS_MAX_CHARS + 1), "experimentation", "characters"),
        ("Fine", "research", "Unknown workstream"),
    ):
        with pytest.raises(InvalidInput, match=message):
            _propose(db, text, workstream=workstream)
    with db.session() as session, pytest.raises(NotFound, match="no experiment EXP-1 here"):
        experiments.get(session, team_id=TEAM, number=1)
    # A failed proposal does not burn a number either.
    assert _propose(db) == 1


@pytest.mark.parametrize("text, number", [("EXP-12", 12), ("exp-3", 3), ("EXP12", 12), ("7", 7)])
def test_parse_ref_accepts_ids(text: str, number: int) -> None:
    assert experiments.parse_ref(text) == number


@pytest.mark.parametrize("text", ["EXP-", "EXP-0", "EXP-1x", "XP-1", "<@U1>", "", "EXP-1234567890"])
def test_parse_ref_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidInput, match="ids look like `EXP-12`"):
        experiments.parse_ref(text)


def test_list_filters_newest_first_with_total(db: Database) -> None:
    for i in range(5):
        _propose(db, f"H{i}")
    with db.session() as session:
        other = experiments.get(session, team_id=TEAM, number=2)
        other.owner_id = "U2"
        experiments.touch(other, status=v.Status.IN_REVIEW)
        session.add(other)
    with db.session() as session:
        page = experiments.list_experiments(session, team_id=TEAM, user_id="U1", filter="all", limit=3)
        assert [e.number for e in page.items] == [5, 4, 3] and page.total == 5
        page = experiments.list_experiments(session, team_id=TEAM, user_id="U2", filter="mine")
        assert [e.number for e in page.items] == [2]
        page = experiments.list_experiments(session, team_id=TEAM, user_id="U1", filter="in_review")
        assert [e.number for e in page.items] == [2]
        page = experiments.list_experiments(session, team_id=TEAM, user_id="U1", filter="PROPOSED")
        assert page.total == 4
        with pytest.raises(InvalidInput, match="Unknown filter"):
            experiments.list_experiments(session, team_id=TEAM, user_id="U1", filter="done")
