"""Scheduler passes driven at explicit times: what the fake Slack received, and when."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.delivery.worker import drain
from bot.installs import team_clients
from bot.runtime import worker_config
from bot.scheduler import run_once
from bot.settings import Settings
from storage.db import Database
from storage.models import CeremonyRun, ChannelPace, Delivery
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import all_text
from tests.workflow.conftest import Tick, add_ceremony, at
from workflow import ceremonies, delivery
from workflow.tick import PassReport

SYDNEY = "Australia/Sydney"


def _headers(slack: FakeSlack) -> list[str]:
    return [c.args["blocks"][0]["text"]["text"] for c in slack.calls_to("chat.postMessage")]


def _drive(
    tick: Tick, slack: FakeSlack, start: datetime, end: datetime, step: timedelta
) -> list[tuple[str, str]]:
    """Tick from start to end; return (UTC time of the pass, header) for each post it made."""
    posts = []
    now = start
    while now < end:
        before = len(slack.calls_to("chat.postMessage"))
        tick(now)
        for header in _headers(slack)[before:]:
            posts.append((now.astimezone(UTC).strftime("%a %m-%d %H:%M"), header))
        now += step
    return posts


def _runs(db: Database) -> list[CeremonyRun]:
    with db.session() as session:
        return list(session.exec(select(CeremonyRun).order_by(CeremonyRun.due_at)).all())


def test_a_week_of_default_ceremonies_each_posted_once_on_time(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    with db.session() as session:
        ceremonies.setup(
            session,
            team_id=TEAM_ID,
            actor_id="U_LEAD",
            channel_id="C_TEAM",
            timezone=SYDNEY,
            now=at("2026-11-22T12:00:00+11:00"),  # a Sunday
        )
    posts = _drive(
        tick, slack, at("2026-11-23T00:00:00+11:00"), at("2026-12-07T00:00:00+11:00"), timedelta(minutes=30)
    )
    # Sydney is UTC+11 in summer: 09:30 local is 22:30 UTC the day before.
    # Sydney is UTC+11 in summer: 09:30 local is 22:30 UTC the day before. Two weeks: the
    # ethics review and the retro fall in the first only.
    assert posts == [
        ("Sun 11-22 22:30", "Daily standup: 15 minutes"),
        ("Mon 11-23 22:30", "Daily standup: 15 minutes"),
        ("Tue 11-24 22:30", "Daily standup: 15 minutes"),
        ("Wed 11-25 03:00", "Experiment review: 60 minutes"),
        ("Wed 11-25 22:30", "Daily standup: 15 minutes"),
        ("Thu 11-26 04:00", "AI ethics review: 60 minutes"),
        ("Thu 11-26 22:30", "Daily standup: 15 minutes"),
        ("Fri 11-27 05:00", "Retrospective: 60 minutes"),
        ("Sun 11-29 22:30", "Daily standup: 15 minutes"),
        ("Mon 11-30 22:30", "Daily standup: 15 minutes"),
        ("Tue 12-01 22:30", "Daily standup: 15 minutes"),
        ("Wed 12-02 03:00", "Experiment review: 60 minutes"),
        ("Wed 12-02 22:30", "Daily standup: 15 minutes"),
        ("Thu 12-03 22:30", "Daily standup: 15 minutes"),
    ]
    assert {c.args["channel"] for c in slack.calls_to("chat.postMessage")} == {"C_TEAM"}
    assert all(r.status == "posted" and r.attempts == 1 for r in _runs(db))
    assert not any("posted late" in all_text(c.args["blocks"]) for c in slack.calls_to("chat.postMessage"))


def test_sydney_standup_stays_at_0930_local_when_daylight_saving_ends(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    # Sydney leaves daylight saving on Sunday 5 April 2026 (UTC+11 → UTC+10).
    add_ceremony(db, "standup", "weekdays 09:30", SYDNEY, created=at("2026-04-01T00:00:00+11:00"))
    # Hourly passes at :30 UTC: a reminder an hour off would land on one of them.
    posts = _drive(tick, slack, at("2026-04-02T00:30:00Z"), at("2026-04-08T00:00:00Z"), timedelta(hours=1))
    assert [when for when, _ in posts] == [
        "Thu 04-02 22:30",  # Fri 09:30 AEDT
        "Sun 04-05 23:30",  # Mon 09:30 AEST: an hour later in UTC, not at 22:30
        "Mon 04-06 23:30",
        "Tue 04-07 23:30",
    ]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Spring forward, Sunday 8 March 2026: EST (UTC-5) → EDT (UTC-4).
        (
            "2026-03-06T00:00:00Z",
            ["Fri 03-06 14:30", "Sat 03-07 14:30", "Sun 03-08 13:30", "Mon 03-09 13:30"],
        ),
        # Fall back, Sunday 1 November 2026: EDT → EST.
        (
            "2026-10-30T00:00:00Z",
            ["Fri 10-30 13:30", "Sat 10-31 13:30", "Sun 11-01 14:30", "Mon 11-02 14:30"],
        ),
    ],
)
def test_new_york_daily_stays_at_0930_local_across_dst(
    db: Database, slack: FakeSlack, tick: Tick, start: str, expected: list[str]
) -> None:
    begin = at(start)
    add_ceremony(db, "sync", "daily 09:30", "America/New_York", created=begin - timedelta(days=1))
    posts = _drive(tick, slack, begin + timedelta(minutes=30), begin + timedelta(days=4), timedelta(hours=1))
    assert [when for when, _ in posts] == expected


def test_a_pass_run_twice_for_the_same_time_posts_once(db: Database, slack: FakeSlack, tick: Tick) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    first = tick(at("2026-11-23T09:30:00Z"))
    second = tick(at("2026-11-23T09:30:00Z"))
    third = tick(at("2026-11-23T09:31:00Z"))
    assert len(first.queued) == 1 and second.queued == [] and third.queued == []
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_two_concurrent_passes_post_each_reminder_once(
    db: Database, slack: FakeSlack, settings: Settings
) -> None:
    created = at("2026-11-23T00:00:00Z")
    names = [f"team-{i}" for i in range(6)]
    for name in names:
        add_ceremony(db, name, "daily 09:30", "UTC", created=created)
    now = at("2026-11-23T09:30:00Z")
    reports: list[PassReport] = []
    errors: list[BaseException] = []
    for _ in range(3):  # several rounds; each round's pair races for the same occurrences
        barrier = threading.Barrier(2)

        def one_pass(when: datetime = now, barrier: threading.Barrier = barrier) -> None:
            client = team_clients(settings, db)  # one client and one session per thread
            barrier.wait()
            try:
                reports.append(run_once(settings, db, now=when))
                drain(client, db, worker_config(settings), now=when)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=one_pass) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        now += timedelta(days=1)
    assert errors == []
    posted = [c.args["blocks"][0]["text"]["text"] for c in slack.calls_to("chat.postMessage")]
    assert sorted(posted) == sorted(names * 3)
    assert sum(len(r.queued) for r in reports) == 18
    assert all(r.status == "posted" for r in _runs(db))


def _deliveries(db: Database) -> list[Delivery]:
    with db.session() as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)).all())


@pytest.mark.parametrize("scheduler_settings", [{"delivery_lease_seconds": 120}])
def test_a_reminder_claimed_by_a_process_that_died_is_posted_after_its_lease(
    db: Database, slack: FakeSlack, tick: Tick, settings: Settings
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    queued_at = at("2026-11-23T09:30:00Z")
    run_once(settings, db, now=queued_at)
    # A worker claims the delivery, then its process dies before it sends anything.
    with db.session() as session:
        config = worker_config(settings)
        (claimed,) = delivery.claim(
            session,
            now=queued_at,
            limit=5,
            worker="dead",
            lease=config.lease,
            pace=config.pace,
        )
    (run,) = _runs(db)
    assert run.status == "queued"

    # While the lease runs, nobody else sends it (the claimant may still be posting).
    tick(at("2026-11-23T09:31:00Z"))
    assert slack.calls_to("chat.postMessage") == []

    tick(at("2026-11-23T09:33:00Z"))
    (post,) = slack.calls_to("chat.postMessage")
    assert "posted late: due 09:30" in all_text(post.args["blocks"])
    (run,) = _runs(db)
    assert (run.status, run.message_ts) == ("posted", post_ts(slack))
    (row,) = _deliveries(db)
    assert (row.id, row.state, row.attempts) == (claimed.id, "delivered", 2)


def post_ts(slack: FakeSlack) -> str:
    ((_, ts),) = slack.messages
    return ts


def test_a_failed_post_is_retried_without_posting_twice(db: Database, slack: FakeSlack, tick: Tick) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    slack.fail("chat.postMessage", "internal_error")
    tick(at("2026-11-23T09:30:00Z"))
    assert _runs(db)[0].status == "queued"
    (row,) = _deliveries(db)
    assert (row.state, row.last_error) == ("pending", "internal_error")
    assert row.not_before is not None and row.not_before > at("2026-11-23T09:30:00Z")

    assert tick(at("2026-11-23T09:31:00Z")).queued == []
    tick(at("2026-11-23T09:32:00Z"))
    assert len(slack.messages) == 1
    (run,) = _runs(db)
    assert (run.status, run.error) == ("posted", None)
    assert _deliveries(db)[0].attempts == 2
    # On time: the retry came within two minutes.
    assert "posted late" not in all_text(slack.calls_to("chat.postMessage")[-1].args["blocks"])


def test_a_reminder_slack_keeps_refusing_is_skipped_once_past_its_grace(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    slack.fail("chat.postMessage", "internal_error", times=100, status=503)
    for minute in range(0, 75, 3):
        tick(at("2026-11-23T09:30:00Z") + timedelta(minutes=minute))
    tries = len(slack.calls_to("chat.postMessage"))
    assert 3 <= tries < 25  # retried with growing waits, not every pass
    assert slack.messages == {}
    (run,) = _runs(db)
    assert run.status == "skipped" and "grace" in (run.error or "")
    assert _deliveries(db)[0].state == "delivered"  # nothing left to send


def test_a_post_to_a_channel_the_bot_cannot_use_is_not_retried(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    slack.fail("chat.postMessage", "not_in_channel")
    tick(at("2026-11-23T09:30:00Z"))
    tick(at("2026-11-23T09:31:00Z"))
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert (_runs(db)[0].status, _runs(db)[0].error) == ("failed", "not_in_channel")
    assert (_deliveries(db)[0].state, _deliveries(db)[0].last_error) == ("failed", "not_in_channel")


def test_a_rate_limited_post_pauses_its_channel_for_retry_after_then_posts_once(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    slack.rate_limit("chat.postMessage", retry_after=30)
    tick(at("2026-11-23T09:30:00Z"))
    with db.session() as session:
        (pace,) = session.exec(select(ChannelPace)).all()
    assert pace.paused_until == at("2026-11-23T09:30:30Z")
    tick(at("2026-11-23T09:30:20Z"))  # still paused
    assert len(slack.calls_to("chat.postMessage")) == 1
    tick(at("2026-11-23T09:31:00Z"))
    assert len(slack.calls_to("chat.postMessage")) == 2 and len(slack.messages) == 1


def test_a_ceremony_paused_after_its_reminder_was_queued_is_not_posted(
    db: Database, slack: FakeSlack, tick: Tick, settings: Settings
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    run_once(settings, db, now=at("2026-11-23T09:30:00Z"))  # queued, not sent yet
    with db.session() as session:
        ceremonies.set_paused(
            session,
            team_id=TEAM_ID,
            actor_id="U1",
            name="standup",
            paused=True,
            now=at("2026-11-23T09:30:05Z"),
        )
    tick(at("2026-11-23T09:30:10Z"))
    assert slack.calls_to("chat.postMessage") == []
    assert _runs(db)[0].status == "skipped"


def test_a_reminder_missed_while_down_is_posted_late_within_grace(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "weekdays 09:30", SYDNEY, created=at("2026-11-23T08:00:00+11:00"))
    # Nothing ran from Monday morning until Thursday 10:15: one standup, the latest, goes out.
    report = tick(at("2026-11-26T10:15:00+11:00"))
    assert len(report.queued) == 1
    (post,) = slack.calls_to("chat.postMessage")
    shown = all_text(post.args["blocks"])
    assert "posted late: due 09:30 AEDT (Thu 26 Nov)" in shown
    assert "posted late: due 09:30" in post.args["text"]
    assert [r.due_at for r in _runs(db)] == [at("2026-11-25T22:30:00Z")]


def test_a_reminder_missed_beyond_grace_is_skipped_and_recorded(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    report = tick(at("2026-11-23T10:31:00Z"))
    assert report.queued == [] and len(report.skipped) == 1
    assert slack.calls_to("chat.postMessage") == []
    (run,) = _runs(db)
    assert run.status == "skipped" and "grace" in (run.error or "")
    # Recorded once; the next day's is posted as usual.
    assert tick(at("2026-11-23T11:00:00Z")).skipped == []
    assert len(tick(at("2026-11-24T09:30:00Z")).queued) == 1


@pytest.mark.parametrize("scheduler_settings", [{"reminder_grace_minutes": 10}])
def test_grace_comes_from_settings(db: Database, slack: FakeSlack, tick: Tick) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    assert tick(at("2026-11-23T09:41:00Z")).skipped
    assert tick(at("2026-11-24T09:39:00Z")).queued


@pytest.mark.parametrize("scheduler_settings", [{"reminder_grace_minutes": 0}])
def test_no_grace_still_allows_the_minute_between_passes(db: Database, slack: FakeSlack, tick: Tick) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    assert tick(at("2026-11-23T09:31:00Z")).queued
    assert tick(at("2026-11-24T09:33:00Z")).skipped
    assert "posted late" not in all_text(slack.calls_to("chat.postMessage")[0].args["blocks"])


def test_paused_ceremonies_post_nothing_and_resuming_does_not_post_the_missed_one(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    with db.session() as session:
        ceremonies.set_paused(
            session,
            team_id=TEAM_ID,
            actor_id="U1",
            name="standup",
            paused=True,
            now=at("2026-11-23T09:00:00Z"),
        )
    assert tick(at("2026-11-23T09:30:00Z")).queued == []
    with db.session() as session:
        ceremonies.set_paused(
            session,
            team_id=TEAM_ID,
            actor_id="U1",
            name="standup",
            paused=False,
            now=at("2026-11-23T09:40:00Z"),
        )
    assert tick(at("2026-11-23T09:41:00Z")).queued == []
    assert slack.calls_to("chat.postMessage") == []
    assert len(tick(at("2026-11-24T09:30:00Z")).queued) == 1


def test_a_schedule_changed_in_the_database_takes_effect_on_the_next_pass(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    with db.session() as session:
        ceremonies.edit(
            session,
            team_id=TEAM_ID,
            actor_id="U1",
            name="standup",
            field="schedule",
            values=["daily", "09:00", "Australia/Sydney"],
            now=at("2026-11-23T10:00:00Z"),
        )
    assert tick(at("2026-11-24T09:30:00Z")).queued == []
    assert len(tick(at("2026-11-24T22:00:00Z")).queued) == 1  # 09:00 AEDT
    local = slack.calls_to("chat.postMessage")[0].args["blocks"][-1]["elements"][0]["text"]
    assert "daily 09:00" in local and "Australia/Sydney" in local


def test_one_channel_refusing_does_not_hold_up_the_others(db: Database, slack: FakeSlack, tick: Tick) -> None:
    for name in ("alpha", "beta", "gamma"):
        with db.session() as session:
            ceremonies.add(
                session,
                team_id=TEAM_ID,
                actor_id="U_LEAD",
                name=name,
                channel_id=f"C_{name.upper()}",
                schedule_tokens=["daily", "09:30", "UTC"],
                default_timezone="UTC",
                now=at("2026-11-23T00:00:00Z"),
            )
    slack.fail("chat.postMessage", "channel_not_found", channel="C_BETA", times=5)
    report = tick(at("2026-11-23T09:30:00Z"))
    assert len(report.queued) == 3
    assert sorted(m["channel"] for m in slack.messages.values()) == ["C_ALPHA", "C_GAMMA"]
    assert {r.status for r in _runs(db)} == {"posted", "failed"}
