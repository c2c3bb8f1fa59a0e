"""What each reminder says, read from what the fake Slack received."""

from __future__ import annotations

from sqlmodel import select

from storage.db import Database
from storage.models import Experiment
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import all_text
from tests.workflow.conftest import Tick, add_ceremony, at, make_experiment
from workflow import ceremonies
from workflow import vocabulary as v

MONDAY = at("2026-11-23T00:00:00Z")


def _setup(db: Database) -> None:
    with db.session() as session:
        ceremonies.setup(
            session, team_id=TEAM_ID, actor_id="U1", channel_id="C_TEAM", timezone="UTC", now=MONDAY
        )


def _posted(slack: FakeSlack) -> str:
    """The latest reminder (nudges, in threads, are left out)."""
    call = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.args][-1]
    return all_text(call.args["blocks"]) + "\n" + call.args["text"]


def _link(number: int) -> str:
    return f"<https://slack.com/archives/C_TEAM/p1600000000{number:06d}|EXP-{number}>"


def test_standup_says_its_focus_and_duration_and_asks_for_answers_in_thread(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    _setup(db)
    tick(at("2026-11-23T09:30:00Z"))
    text = _posted(slack)
    assert "15 minutes" in text
    assert "blockers, progress, help needed" in text
    assert "Share my update" in text and "Answers appear in this thread" in text


def test_experiment_review_lists_what_waits_with_links_to_the_cards(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    _setup(db)
    make_experiment(
        db, status=v.Status.IN_REVIEW, since=at("2026-11-20T09:00:00Z"), hypothesis="Retrieval helps"
    )
    make_experiment(
        db, status=v.Status.CHANGES_REQUESTED, since=MONDAY, hypothesis="Shorter prompts <!channel>"
    )
    make_experiment(db, status=v.Status.APPROVED, since=MONDAY, hypothesis="Distillation")
    make_experiment(db, status=v.Status.PRODUCTION, since=MONDAY, hypothesis="Already shipped")
    make_experiment(db, status=v.Status.PROPOSED, since=MONDAY, hypothesis="Not submitted")
    tick(at("2026-11-25T14:00:00Z"))
    text = _posted(slack)
    assert "60 minutes" in text and "review experiments, share learnings" in text
    assert f"*Waiting for review* (1)\n• *{_link(1)}* Retrieval helps _(since Fri 20 Nov)_" in text
    assert f"{_link(2)}* Shorter prompts &lt;!channel&gt;" in text
    assert "Approved, awaiting production sign-off* (1)" in text and _link(3) in text
    assert "Already shipped" not in text and "Not submitted" not in text
    assert "Reviewed, ready for sign-off" not in text  # empty sections are left out


def test_experiment_review_with_nothing_waiting_says_so(db: Database, slack: FakeSlack, tick: Tick) -> None:
    _setup(db)
    tick(at("2026-11-25T14:00:00Z"))
    assert "Nothing is waiting for review" in _posted(slack)


def test_ethics_review_lists_pending_and_changes_requested_ethics_reviews(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    _setup(db)
    make_experiment(db, status=v.Status.IN_REVIEW, since=MONDAY, hypothesis="Pending ethics")
    make_experiment(
        db,
        status=v.Status.CHANGES_REQUESTED,
        since=MONDAY,
        hypothesis="Bias found",
        reviews={"ethics": "changes_requested"},
    )
    make_experiment(
        db, status=v.Status.IN_REVIEW, since=MONDAY, hypothesis="Ethics done", reviews={"ethics": "approved"}
    )
    make_experiment(db, status=v.Status.PROPOSED, since=MONDAY, hypothesis="Not submitted yet")
    tick(at("2026-11-26T15:00:00Z"))
    text = _posted(slack)
    assert "review AI decisions, bias checks" in text
    assert "*Ethics review pending* (1)" in text and "Pending ethics" in text
    assert "*Ethics changes requested* (1)" in text and "Bias found" in text
    assert "Ethics done" not in text and "Not submitted yet" not in text


def test_retro_shows_what_moved_since_the_last_retro(db: Database, slack: FakeSlack, tick: Tick) -> None:
    _setup(db)
    make_experiment(
        db, status=v.Status.PRODUCTION, since=at("2026-11-20T12:00:00Z"), hypothesis="Shipped before"
    )
    make_experiment(db, status=v.Status.PRODUCTION, since=at("2026-11-24T12:00:00Z"), hypothesis="Shipped")
    make_experiment(db, status=v.Status.REJECTED, since=at("2026-11-25T12:00:00Z"), hypothesis="Rejected one")
    make_experiment(
        db, status=v.Status.WITHDRAWN, since=at("2026-11-26T12:00:00Z"), hypothesis="Withdrawn one"
    )
    tick(at("2026-11-27T16:00:00Z"))
    first = _posted(slack)
    assert "improve processes, celebrate wins" in first
    assert "What moved since Fri 13 Nov" in first  # no earlier retro: one period back
    assert "Promoted to production* (2)" in first
    assert "Rejected one" in first and "Withdrawn one" in first

    # The next retro counts from this one.
    with db.session() as session:
        late = session.exec(select(Experiment).where(Experiment.hypothesis == "Withdrawn one")).one()
        late.status_changed_at = at("2026-12-01T12:00:00Z")
        session.add(late)
    tick(at("2026-12-11T16:00:00Z"))
    second = _posted(slack)
    assert "What moved since Fri 27 Nov" in second
    assert "Withdrawn one" in second and "Shipped" not in second and "Rejected one" not in second


def test_custom_ceremonies_get_a_generic_reminder(db: Database, slack: FakeSlack, tick: Tick) -> None:
    add_ceremony(db, "design-sync", "weekly tue 11:00", "UTC", created=MONDAY)
    tick(at("2026-11-24T11:00:00Z"))
    call = slack.calls_to("chat.postMessage")[-1]
    assert call.args["blocks"][0]["text"]["text"] == "design-sync"
    text = _posted(slack)
    assert "*design-sync* starts now · *30 minutes*" in text and "Reply in this thread" in text
    assert "Focus" not in text
