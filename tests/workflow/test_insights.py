"""Flow insights from the audit trail, with the events' times chosen by the test: each stage's
median and 80th percentile, review waits per kind and per reviewer, the fewer-than-3 rule,
window bounds, and the storage query on both databases."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from storage.db import Database
from storage.models import AuditEvent, Experiment
from tests.fakeslack import TEAM_ID
from workflow import insights
from workflow import vocabulary as v
from workflow.errors import InvalidInput
from workflow.insights import Spread

T0 = datetime.fromisoformat("2026-09-01T09:00:00+00:00")
NOW = datetime.fromisoformat("2026-12-01T09:00:00+00:00")
DAY = timedelta(days=1)
_ids = itertools.count(1)


def event(
    experiment_id: int, action: str, at: datetime, *, actor: str = "U_OWNER", detail: str | None = None
) -> AuditEvent:
    return AuditEvent(
        id=next(_ids),
        team_id=TEAM_ID,
        experiment_id=experiment_id,
        actor_id=actor,
        action=action,
        detail=detail,
        created_at=at,
    )


def status(
    experiment_id: int, previous: str, target: str, at: datetime, gate: v.Gate | None = None, **kwargs: str
) -> AuditEvent:
    why = kwargs.pop("why", None)
    moved = event(
        experiment_id,
        v.Step.status(target),
        at,
        detail=v.transition_detail(previous, target, why),
        **kwargs,
    )
    moved.gate = gate
    return moved


def shipped(experiment_id: int, start: datetime, days: tuple[float, float, float, float]) -> list[AuditEvent]:
    """An experiment walked to production; `days` are its four stages' lengths."""
    a, b, c, d = (timedelta(days=x) for x in days)
    return [
        event(experiment_id, v.AuditAction.PROPOSED, start),
        status(experiment_id, v.Status.PROPOSED, v.Status.IN_REVIEW, start + a),
        status(experiment_id, v.Status.IN_REVIEW, v.Status.REVIEWED, start + a + b),
        status(experiment_id, v.Status.REVIEWED, v.Status.APPROVED, start + a + b + c),
        status(experiment_id, v.Status.APPROVED, v.Status.PRODUCTION, start + a + b + c + d),
    ]


def days(spread: Spread) -> tuple[float | None, float | None]:
    median, p80 = spread.median, spread.p80
    return (
        None if median is None else median / DAY,
        None if p80 is None else p80 / DAY,
    )


def stage(flow: insights.Flow, key: str) -> Spread:
    return next(spread for s, spread in flow.stages if s.key == key)


# -- figures ------------------------------------------------------------------------------------


def test_nearest_rank_percentile_and_median() -> None:
    samples = Spread.of(timedelta(days=x) for x in (5, 1, 4, 2, 3))
    # Median: the middle one; 80th percentile: the ⌈0.8·5⌉ = 4th smallest.
    assert days(samples) == (3, 4)
    even = Spread.of(timedelta(days=x) for x in (1, 2, 3, 10))
    # Median of an even count: the mean of the two middle ones; p80: the ⌈3.2⌉ = 4th.
    assert days(even) == (2.5, 10)
    ten = sorted(timedelta(days=x) for x in range(1, 11))
    assert insights.nearest_rank(ten, 80) == timedelta(days=8)
    assert insights.nearest_rank(ten, 100) == timedelta(days=10)
    assert insights.nearest_rank([timedelta(days=7)], 80) == timedelta(days=7)


def test_each_stage_has_its_median_and_80th_percentile() -> None:
    events = [
        *shipped(1, T0, (1, 2, 0.5, 3)),
        *shipped(2, T0, (2, 4, 1, 1)),
        *shipped(3, T0, (3, 6, 2, 2)),
        *shipped(4, T0, (10, 1, 0.5, 4)),
    ]
    flow = insights.compute(events, since=None, until=NOW)
    assert [s.key for s, _ in flow.stages] == [
        "proposed_submitted",
        "submitted_reviewed",
        "reviewed_approved",
        "approved_production",
    ]
    # Four samples each: median = mean of the 2nd and 3rd; p80 = the ⌈3.2⌉ = 4th smallest.
    assert days(stage(flow, "proposed_submitted")) == (2.5, 10)
    assert days(stage(flow, "submitted_reviewed")) == (3, 6)
    assert days(stage(flow, "reviewed_approved")) == (0.75, 2)
    assert days(stage(flow, "approved_production")) == (2.5, 4)
    assert stage(flow, "proposed_submitted").n == 4
    # Proposal to production: 6.5, 8, 13, 15.5 days.
    assert days(flow.to_production) == (10.5, 15.5)
    assert (flow.proposed, flow.closed, flow.shipped) == (4, 4, 4)


def test_a_stage_runs_from_its_first_start_to_its_first_end() -> None:
    events = [
        event(1, v.AuditAction.PROPOSED, T0),
        status(1, v.Status.PROPOSED, v.Status.IN_REVIEW, T0 + 2 * DAY),
        status(
            1,
            v.Status.IN_REVIEW,
            v.Status.CHANGES_REQUESTED,
            T0 + 3 * DAY,
            why="ethics review: more data",
            gate=v.ReviewKind.ETHICS,
        ),
        # Resubmitted: proposed → submitted still ends at the first submission.
        status(1, v.Status.CHANGES_REQUESTED, v.Status.IN_REVIEW, T0 + 6 * DAY),
        status(1, v.Status.IN_REVIEW, v.Status.REVIEWED, T0 + 7 * DAY),
    ]
    flow = insights.compute(events, since=None, until=NOW)
    assert stage(flow, "proposed_submitted").samples == (2 * DAY,)
    assert stage(flow, "submitted_reviewed").samples == (5 * DAY,)
    assert stage(flow, "approved_production").samples == ()


def test_fewer_than_three_samples_give_no_figure() -> None:
    events = [*shipped(1, T0, (1, 1, 1, 1)), *shipped(2, T0, (2, 2, 2, 2))]
    flow = insights.compute(events, since=None, until=NOW)
    for _, spread in flow.stages:
        assert spread.n == 2 and not spread.enough
        assert spread.median is None and spread.p80 is None
    assert flow.to_production.median is None
    flow = insights.compute([*events, *shipped(3, T0, (3, 3, 3, 3))], since=None, until=NOW)
    assert all(spread.enough and spread.median == 2 * DAY for _, spread in flow.stages)
    assert Spread().n == 0 and Spread().median is None


def _review_round(experiment_id: int, submitted: datetime) -> list[AuditEvent]:
    """Submitted, then: technical approves after 1 day, business after 2, ethics asks for changes
    after 4; resubmitted 2 days later, ethics approves 3 days after that."""
    resubmitted = submitted + 6 * DAY
    return [
        event(experiment_id, v.AuditAction.PROPOSED, submitted - DAY),
        status(experiment_id, v.Status.PROPOSED, v.Status.IN_REVIEW, submitted),
        event(experiment_id, v.Step.review("technical"), submitted + DAY, actor="UTECH", detail="approved"),
        event(experiment_id, v.Step.review("business"), submitted + 2 * DAY, actor="UBIZ", detail="approved"),
        status(
            experiment_id,
            v.Status.IN_REVIEW,
            v.Status.CHANGES_REQUESTED,
            submitted + 4 * DAY,
            actor="UETHICS",
            why=v.review_decision("ethics", "check the subgroups"),
            gate=v.ReviewKind.ETHICS,
        ),
        status(experiment_id, v.Status.CHANGES_REQUESTED, v.Status.IN_REVIEW, resubmitted),
        event(
            experiment_id,
            v.Step.review("ethics"),
            resubmitted + 3 * DAY,
            actor="UETHICS",
            detail="approved",
        ),
    ]


def test_review_waits_per_kind_and_per_reviewer_from_each_submission() -> None:
    events = [
        *_review_round(1, T0),
        *_review_round(2, T0 + 10 * DAY),
        *_review_round(3, T0 + 20 * DAY),
    ]
    flow = insights.compute(events, since=None, until=NOW)
    assert days(flow.by_kind["technical"]) == (1, 1)
    assert days(flow.by_kind["business"]) == (2, 2)
    # Ethics: the request for changes after 4 days, then the approval 3 days after resubmission.
    assert flow.by_kind["ethics"].n == 6
    assert days(flow.by_kind["ethics"]) == (3.5, 4)
    assert set(flow.by_reviewer) == {"UTECH", "UBIZ", "UETHICS"}
    assert days(flow.by_reviewer["UETHICS"]) == (3.5, 4)
    assert flow.slowest_kind == "ethics" and flow.slowest_reviewer == "UETHICS"
    assert flow.reviews.n == 12


def test_the_slowest_is_named_only_among_those_with_enough_samples() -> None:
    events = [
        *_review_round(1, T0),
        *_review_round(2, T0 + 10 * DAY),
        *_review_round(3, T0 + 20 * DAY),
        # One very slow decision by someone else is not enough to call them the slowest.
        event(4, v.AuditAction.PROPOSED, T0),
        status(4, v.Status.PROPOSED, v.Status.IN_REVIEW, T0 + DAY),
        event(4, v.Step.review("technical"), T0 + 40 * DAY, actor="USLOW", detail="approved"),
    ]
    flow = insights.compute(events, since=None, until=NOW)
    assert flow.by_reviewer["USLOW"].n == 1 and flow.by_reviewer["USLOW"].median is None
    assert flow.slowest_reviewer == "UETHICS"


def test_a_reject_after_changes_were_requested_did_not_wait_on_review() -> None:
    events = [
        event(1, v.AuditAction.PROPOSED, T0),
        status(1, v.Status.PROPOSED, v.Status.IN_REVIEW, T0 + DAY),
        status(
            1,
            v.Status.IN_REVIEW,
            v.Status.CHANGES_REQUESTED,
            T0 + 2 * DAY,
            actor="UETHICS",
            why=v.review_decision("ethics", "no"),
            gate=v.ReviewKind.ETHICS,
        ),
        status(
            1,
            v.Status.CHANGES_REQUESTED,
            v.Status.REJECTED,
            T0 + 30 * DAY,
            actor="UTECH",
            why=v.review_decision("technical", "abandoned"),
            gate=v.ReviewKind.TECHNICAL,
        ),
        # A rejection at sign-off is not a review decision.
        event(2, v.AuditAction.PROPOSED, T0),
        status(
            2,
            v.Status.APPROVED,
            v.Status.REJECTED,
            T0 + 5 * DAY,
            actor="USEC",
            why="at sign-off: unsafe",
            gate=v.SignOff.SIGN_OFF,
        ),
    ]
    flow = insights.compute(events, since=None, until=NOW)
    assert flow.by_kind["ethics"].samples == (DAY,)
    assert flow.by_kind["technical"].samples == ()
    assert flow.closed == 2 and flow.shipped == 0


def test_window_bounds_are_half_open_and_stages_count_where_they_end() -> None:
    since = NOW - 30 * DAY
    events = [
        # Proposed before the window, shipped inside it: a sample and a close, not a proposal.
        *shipped(1, since - 10 * DAY, (2, 2, 2, 5)),
        # Proposed exactly at the window's start: inside.
        event(2, v.AuditAction.PROPOSED, since),
        # Proposed exactly at its end: outside.
        event(3, v.AuditAction.PROPOSED, NOW),
        # Closed just before the window.
        event(4, v.AuditAction.PROPOSED, since - 5 * DAY),
        status(4, v.Status.PROPOSED, v.Status.WITHDRAWN, since - timedelta(seconds=1)),
    ]
    flow = insights.compute(events, since=since, until=NOW)
    assert (flow.proposed, flow.closed, flow.shipped) == (1, 1, 1)
    # Experiment 1's stages ended on days -4, -2 and +1 of the window: only the last counts.
    assert stage(flow, "proposed_submitted").n == 0
    assert stage(flow, "reviewed_approved").n == 0
    assert stage(flow, "approved_production").samples == (5 * DAY,)
    assert flow.to_production.samples == (11 * DAY,)
    everything = insights.compute(events, since=None, until=NOW + DAY)
    assert (everything.proposed, everything.closed) == (4, 2)


def test_windows_parse_and_unknown_ones_are_refused_naming_the_windows() -> None:
    assert insights.parse_window("") == "30d"
    assert insights.parse_window(" 90D ") == "90d"
    assert insights.parse_window("all") == "all"
    with pytest.raises(InvalidInput) as refused:
        insights.parse_window("7d")
    assert "`7d`" in refused.value.message
    assert "`30d`, `90d`, `all`" in refused.value.message
    assert insights.window_start("30d", NOW) == NOW - 30 * DAY
    assert insights.window_start("all", NOW) is None


# -- from the database ---------------------------------------------------------------------------


def _store(db: Database, events: list[AuditEvent]) -> dict[int, int]:
    """Store experiments for the events' experiment ids (returns id → stored id) and the events."""
    stored: dict[int, int] = {}
    with db.session() as session:
        for number in sorted({e.experiment_id for e in events if e.experiment_id is not None}):
            experiment = Experiment(
                team_id=TEAM_ID,
                number=number,
                owner_id="U_OWNER",
                hypothesis="h",
                workstream="experimentation",
                timeline_weeks=2,
            )
            session.add(experiment)
            session.flush()
            assert experiment.id is not None
            stored[number] = experiment.id
        for e in events:
            assert e.experiment_id is not None
            session.add(
                AuditEvent(
                    team_id=e.team_id,
                    experiment_id=stored[e.experiment_id],
                    actor_id=e.actor_id,
                    action=e.action,
                    detail=e.detail,
                    gate=e.gate,
                    created_at=e.created_at,
                )
            )
    return stored


def test_the_flow_is_read_from_the_trail_of_one_team_within_the_window(db: Database) -> None:
    since = NOW - 30 * DAY
    events = [
        *shipped(1, since - 10 * DAY, (2, 2, 2, 5)),
        *shipped(2, since + DAY, (1, 1, 1, 1)),
        *shipped(3, since - 200 * DAY, (1, 1, 1, 1)),  # long before: not read for 30 days
        *_review_round(4, since + 2 * DAY),
        event(5, v.AuditAction.PROPOSED, since - DAY),
    ]
    _store(db, events)
    with db.session() as session:
        other = Experiment(
            team_id="T0OTHER",
            number=1,
            owner_id="U",
            hypothesis="h",
            workstream="experimentation",
            timeline_weeks=2,
        )
        session.add(other)
        session.flush()
        session.add(
            AuditEvent(
                team_id="T0OTHER",
                experiment_id=other.id,
                actor_id="U",
                action=v.AuditAction.PROPOSED,
                created_at=since + DAY,
            )
        )
    with db.read() as session:
        flow = insights.team_flow(session, team_id=TEAM_ID, window="30d", now=NOW)
        expected = insights.compute(events, since=since, until=NOW)
        assert (flow.proposed, flow.closed, flow.shipped) == (2, 2, 2)
        assert flow.stages == expected.stages and flow.by_kind == expected.by_kind
        assert stage(flow, "approved_production").samples == (DAY, 5 * DAY)
        # Work in progress is the experiments' state now: all five were stored as proposed.
        assert flow.in_progress[v.Status.PROPOSED] == 5 and flow.open_total == 5
        assert flow.oldest is not None
        everything = insights.team_flow(session, team_id=TEAM_ID, window="all", now=NOW)
        assert everything.proposed == 5 and everything.shipped == 3
