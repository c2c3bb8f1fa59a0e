"""Timeline estimates from the team's history, with injected times, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.db import Database
from storage.models import AuditEvent, Experiment, ProjectExperiment
from workflow import estimates, experiments, projects, proposals
from workflow import vocabulary as v

TEAM = "T1"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _past(
    db: Database,
    days: list[int],
    *,
    status: str = v.Status.PRODUCTION,
    project: str | None = None,
    workstream: str = "experimentation",
) -> None:
    """Finished experiments that took `days` from proposal to their final status."""
    with db.session() as session:
        for i, took in enumerate(days):
            proposed = START + timedelta(days=7 * i)
            e = Experiment(
                team_id=TEAM,
                number=experiments.queries.next_number(session, team_id=TEAM),
                hypothesis="H",
                workstream=workstream,
                owner_id="U1",
                status=status,
                timeline_weeks=2,
                created_at=proposed,
                status_changed_at=proposed + timedelta(days=took),
            )
            session.add(e)
            session.flush()
            if status == v.Status.PRODUCTION:
                session.add(
                    AuditEvent(
                        team_id=TEAM,
                        experiment_id=e.id,
                        actor_id="U1",
                        action=v.Step.status(v.Status.PRODUCTION),
                        created_at=proposed + timedelta(days=took),
                    )
                )
            if project is not None:
                p = projects.get(session, team_id=TEAM, name=project)
                session.add(
                    ProjectExperiment(team_id=TEAM, project_id=p.id, experiment_id=e.id, linked_by="U1")
                )


def _estimate(db: Database, *, project: str | None = None) -> estimates.Estimate:
    with db.read() as session:
        project_id = projects.get(session, team_id=TEAM, name=project).id if project else None
        return estimates.estimate(
            session, team_id=TEAM, workstream="experimentation", project_id=project_id, now=NOW
        )


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], (14, "default: fewer than 3 past experiments")),
        ([5, 9], (14, "default: fewer than 3 past experiments; 2 of 2 reached production")),
        ([4, 9, 30], (9, "median of 3 past experimentation experiments; 3 of 3 reached production")),
        (
            [1, 2, 9, 9, 10, 40, 50],
            (9, "median of 7 past experimentation experiments; 7 of 7 reached production"),
        ),
    ],
)
def test_the_median_of_past_durations_from_three_samples_on(
    db: Database, days: list[int], expected: tuple[int, str]
) -> None:
    _past(db, days)
    got = _estimate(db)
    assert (got.days, got.basis) == expected


def test_the_text_says_what_it_is_based_on(db: Database) -> None:
    assert _estimate(db).text == "~2 weeks (default: fewer than 3 past experiments)"
    _past(db, [1, 2, 9, 9, 10, 40, 50])
    assert _estimate(db).text.startswith("~9 days (median of 7 past experimentation experiments")


def test_withdrawn_and_rejected_are_not_durations_but_count_in_the_share(db: Database) -> None:
    _past(db, [6, 8, 10, 12])
    _past(db, [1], status=v.Status.WITHDRAWN)
    _past(db, [2], status=v.Status.REJECTED)
    got = _estimate(db)
    assert got.days == 9
    assert got.basis.endswith("4 of 6 reached production")


def test_other_workstreams_do_not_count(db: Database) -> None:
    _past(db, [1, 1, 1], workstream="production")
    assert _estimate(db).days == 14


def test_a_project_with_three_samples_uses_its_own_history(db: Database) -> None:
    with db.session() as session:
        projects.create(session, team_id=TEAM, owner_id="U1", name="fast")
        projects.create(session, team_id=TEAM, owner_id="U1", name="young")
    _past(db, [30, 30, 30, 30])
    _past(db, [3, 4, 5], project="fast")
    _past(db, [2, 2], project="young")
    fast = _estimate(db, project="fast")
    assert (fast.days, fast.basis.split(";")[0]) == (
        4,
        "median of 3 past experimentation experiments of this project",
    )
    # Two project samples are too few: the workspace's 9 experiments decide.
    young = _estimate(db, project="young")
    assert young.days == 5 and "median of 9 past experimentation experiments;" in young.basis


def test_the_estimate_is_fixed_at_proposal(db: Database) -> None:
    _past(db, [4, 9, 30])
    number = proposals.propose(db, team_id=TEAM, owner_id="U1", hypothesis="H").number
    _past(db, [1, 1, 1, 1])
    with db.read() as session:
        e = experiments.get(session, team_id=TEAM, number=number)
        assert (e.estimate_days, e.estimate_basis.split(";")[0]) == (
            9,
            "median of 3 past experimentation experiments",
        )
        assert estimates.estimate(session, team_id=TEAM, workstream="experimentation").days == 1
