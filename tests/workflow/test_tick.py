"""Scheduler passes driven at explicit times: what the fake Slack received, and when."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.reminders import SlackPoster
from bot.scheduler import run_once, tick_config
from bot.settings import Settings
from bot.slack import make_client
from storage.db import Database
from storage.models import CeremonyRun
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import all_text
from tests.workflow.conftest import Tick, add_ceremony, at
from workflow import ceremonies
from workflow.reminders import Reminder
from workflow.tick import PassReport, TickConfig, run_pass

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
    assert len(first.posted) == 1 and second.posted == [] and third.posted == []
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
            client = make_client(settings)  # one client and one session per thread
            barrier.wait()
            try:
                reports.append(run_once(settings, db, client, now=when))
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
    assert sum(len(r.posted) for r in reports) == 18
    assert all(r.status == "posted" for r in _runs(db))


class _Crash(BaseException):
    """Stands in for the process dying between the claim and the post (like SystemExit)."""


class _CrashingPoster:
    def reminder(self, reminder: object) -> str:
        raise _Crash

    def nudge(self, nudge: object) -> None:
        raise _Crash


def test_a_claim_left_by_a_dead_process_is_retried_after_its_lease(
    db: Database, slack: FakeSlack, tick: Tick, settings: Settings
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    config = TickConfig(
        grace=timedelta(hours=1), nudge_after=timedelta(days=1), nudge_every=timedelta(days=1)
    )
    with pytest.raises(_Crash):
        run_pass(db, _CrashingPoster(), now=at("2026-11-23T09:30:00Z"), config=config)
    (run,) = _runs(db)
    assert run.status == "claimed"

    # While the lease runs, another pass leaves it alone (the claimant may still be posting).
    assert tick(at("2026-11-23T09:35:00Z")).posted == []
    assert slack.calls_to("chat.postMessage") == []

    report = tick(at("2026-11-23T09:41:00Z"))
    assert len(report.posted) == 1
    (post,) = slack.calls_to("chat.postMessage")
    assert "posted late: due 09:30" in all_text(post.args["blocks"])
    (run,) = _runs(db)
    assert (run.status, run.attempts, run.message_ts) == ("posted", 2, post_ts(slack))


def post_ts(slack: FakeSlack) -> str:
    ((_, ts),) = slack.messages
    return ts


def test_a_failed_post_is_retried_next_pass_without_posting_twice(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    slack.fail("chat.postMessage", "internal_error")
    failed = tick(at("2026-11-23T09:30:00Z"))
    assert failed.failed and not failed.posted and not failed.ok
    assert _runs(db)[0].status == "retrying"

    assert len(tick(at("2026-11-23T09:31:00Z")).posted) == 1
    assert tick(at("2026-11-23T09:32:00Z")).posted == []
    assert len(slack.messages) == 1
    (run,) = _runs(db)
    assert (run.status, run.attempts, run.error) == ("posted", 2, None)
    # On time: the retry came within two minutes.
    assert "posted late" not in all_text(slack.calls_to("chat.postMessage")[-1].args["blocks"])


def test_attempts_are_bounded(db: Database, slack: FakeSlack, tick: Tick) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    slack.fail("chat.postMessage", "internal_error", times=10)
    for minute in range(30, 36):
        tick(at(f"2026-11-23T09:{minute}:00Z"))
    assert len(slack.calls_to("chat.postMessage")) == 3
    (run,) = _runs(db)
    assert (run.status, run.attempts, run.error) == ("failed", 3, "internal_error")


def test_a_post_to_a_channel_the_bot_cannot_use_is_not_retried(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    slack.fail("chat.postMessage", "not_in_channel")
    tick(at("2026-11-23T09:30:00Z"))
    tick(at("2026-11-23T09:31:00Z"))
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert _runs(db)[0].status == "failed"


def test_rate_limited_post_waits_retry_after_then_posts_once(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    import time

    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    slack.rate_limit("chat.postMessage", retry_after=1)
    started = time.monotonic()
    report = tick(at("2026-11-23T09:30:00Z"))
    assert time.monotonic() - started >= 1  # the client waited Retry-After
    assert len(report.posted) == 1
    assert len(slack.calls_to("chat.postMessage")) == 2 and len(slack.messages) == 1


def test_a_reminder_missed_while_down_is_posted_late_within_grace(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    add_ceremony(db, "standup", "weekdays 09:30", SYDNEY, created=at("2026-11-23T08:00:00+11:00"))
    # Nothing ran from Monday morning until Thursday 10:15: one standup, the latest, goes out.
    report = tick(at("2026-11-26T10:15:00+11:00"))
    assert len(report.posted) == 1
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
    assert report.posted == [] and len(report.skipped) == 1
    assert slack.calls_to("chat.postMessage") == []
    (run,) = _runs(db)
    assert run.status == "skipped" and "grace" in (run.error or "")
    # Recorded once; the next day's is posted as usual.
    assert tick(at("2026-11-23T11:00:00Z")).skipped == []
    assert len(tick(at("2026-11-24T09:30:00Z")).posted) == 1


@pytest.mark.parametrize("scheduler_settings", [{"reminder_grace_minutes": 10}])
def test_grace_comes_from_settings(db: Database, slack: FakeSlack, tick: Tick) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    assert tick(at("2026-11-23T09:41:00Z")).skipped
    assert tick(at("2026-11-24T09:39:00Z")).posted


@pytest.mark.parametrize("scheduler_settings", [{"reminder_grace_minutes": 0}])
def test_no_grace_still_allows_the_minute_between_passes(db: Database, slack: FakeSlack, tick: Tick) -> None:
    add_ceremony(db, "standup", "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    assert tick(at("2026-11-23T09:31:00Z")).posted
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
    assert tick(at("2026-11-23T09:30:00Z")).posted == []
    with db.session() as session:
        ceremonies.set_paused(
            session,
            team_id=TEAM_ID,
            actor_id="U1",
            name="standup",
            paused=False,
            now=at("2026-11-23T09:40:00Z"),
        )
    assert tick(at("2026-11-23T09:41:00Z")).posted == []
    assert slack.calls_to("chat.postMessage") == []
    assert len(tick(at("2026-11-24T09:30:00Z")).posted) == 1


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
    assert tick(at("2026-11-24T09:30:00Z")).posted == []
    assert len(tick(at("2026-11-24T22:00:00Z")).posted) == 1  # 09:00 AEDT
    local = slack.calls_to("chat.postMessage")[0].args["blocks"][-1]["elements"][0]["text"]
    assert "daily 09:00" in local and "Australia/Sydney" in local


class _BuggyPoster:
    """Raises something no one planned for, on one ceremony only."""

    def __init__(self, poster: object, broken: str) -> None:
        self.poster, self.broken = poster, broken

    def reminder(self, reminder: Reminder) -> str:
        if reminder.ceremony.name == self.broken:
            raise ValueError("a bug")
        return self.poster.reminder(reminder)  # type: ignore[attr-defined]

    def nudge(self, nudge: object) -> None:
        raise AssertionError("no nudges here")


def test_one_broken_ceremony_does_not_hold_up_the_others(
    db: Database, slack: FakeSlack, settings: Settings
) -> None:
    for name in ("alpha", "beta", "gamma"):
        add_ceremony(db, name, "daily 09:30", "UTC", created=at("2026-11-23T00:00:00Z"))
    poster = _BuggyPoster(SlackPoster(make_client(settings)), broken="beta")
    report = run_pass(db, poster, now=at("2026-11-23T09:30:00Z"), config=tick_config(settings))
    assert len(report.posted) == 2 and len(report.failed) == 1 and "beta" in report.failed[0]
    assert sorted(c.args["blocks"][0]["text"]["text"] for c in slack.calls_to("chat.postMessage")) == [
        "alpha",
        "gamma",
    ]
