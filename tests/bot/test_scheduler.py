"""The APScheduler wiring and the `tick`, `clock`, `run` and `web` entry points, without sleeping."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import update
from sqlmodel import select

import bot.__main__ as cli
import bot.runtime
import bot.scheduler
from bot.scheduler import PASS_JOB_ID, make_scheduler
from storage.db import Database
from storage.models import ChannelPace, Delivery
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import make_settings
from workflow import ceremonies, projects

NINE_THIRTY = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _standup(db: Database, schedule: str = "daily 09:30 UTC") -> None:
    with db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="U1",
            name="standup",
            channel_id="C0TEAM",
            schedule_tokens=schedule.split(),
            default_timezone="UTC",
            now=datetime(2026, 11, 23, tzinfo=UTC),
        )


def test_the_pass_runs_every_minute_on_the_minute_with_deliberate_job_defaults(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    scheduler = make_scheduler(make_settings(slack, sqlite_db), sqlite_db, blocking=False)
    assert isinstance(scheduler, BackgroundScheduler)
    scheduler.start(paused=True)  # adds the job with its defaults applied; runs nothing
    try:
        job = scheduler.get_job(PASS_JOB_ID)
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert 1 < job.misfire_grace_time < 60
        after = datetime(2026, 11, 24, 9, 29, 20, tzinfo=UTC)
        assert job.trigger.get_next_fire_time(None, after) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
        assert scheduler.get_jobs() == [job]
    finally:
        scheduler.shutdown(wait=False)


def test_the_scheduled_job_runs_the_pass_at_the_clocks_time(slack: FakeSlack, sqlite_db: Database) -> None:
    _standup(sqlite_db)
    scheduler = make_scheduler(
        make_settings(slack, sqlite_db), sqlite_db, blocking=False, clock=lambda: NINE_THIRTY
    )
    job = scheduler.get_job(PASS_JOB_ID)
    job.func(*job.args, **job.kwargs)
    job.func(*job.args, **job.kwargs)
    # The pass queues; the process's delivery worker posts.
    assert slack.calls_to("chat.postMessage") == []
    with sqlite_db.read() as session:
        (row,) = session.exec(select(Delivery)).all()
    assert (row.kind, row.channel_id, row.state) == ("reminder", "C0TEAM", "pending")


def test_a_failing_pass_does_not_stop_the_heartbeat(
    slack: FakeSlack, sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_clock() -> datetime:
        raise RuntimeError("clock broke")

    scheduler = make_scheduler(make_settings(slack, sqlite_db), sqlite_db, blocking=False, clock=broken_clock)
    job = scheduler.get_job(PASS_JOB_ID)
    job.func(*job.args, **job.kwargs)  # logged, not raised into APScheduler
    assert "scheduler pass failed" in caplog.text and "clock broke" in caplog.text


def test_clock_builds_a_blocking_scheduler(slack: FakeSlack, sqlite_db: Database) -> None:
    scheduler = make_scheduler(make_settings(slack, sqlite_db), sqlite_db, blocking=True)
    assert isinstance(scheduler, BlockingScheduler)
    assert scheduler.get_job(PASS_JOB_ID) is not None


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, slack: FakeSlack, sqlite_db: Database) -> Database:
    """The CLI's environment: the fake Slack, a test database, no .env file in the way, and a
    free port (`web` and `run` check that theirs can be bound)."""
    monkeypatch.chdir(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PORT", str(port))
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": sqlite_db.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    return sqlite_db


def test_tick_runs_one_pass_at_the_given_time(env: Database, slack: FakeSlack, capsys: Any) -> None:
    _standup(env, "daily 09:30 Australia/Sydney")
    assert cli.main(["tick", "--now", "2026-11-24T09:30:00+11:00"]) == 0
    out = capsys.readouterr().out
    assert "queued T0TEAM/standup due 2026-11-24 09:30 AEDT" in out
    assert "sent the standup reminder" in out
    assert cli.main(["tick", "--now", "2026-11-24T09:31:00+11:00"]) == 0
    assert capsys.readouterr().out == "nothing due: no reminder, nudge or delivery to send now\n"
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_tick_prints_the_overdue_milestone_reminders_it_queued(
    env: Database, slack: FakeSlack, capsys: Any
) -> None:
    with env.session() as session:
        projects.create(session, team_id=TEAM_ID, owner_id="U_OWNER", name="support-bot", channel_id="C_TEAM")
    with env.session() as session:
        projects.add_milestone(
            session,
            team_id=TEAM_ID,
            actor_id="U_OWNER",
            name="support-bot",
            due="2026-11-24",
            title="Pilot",
            today=date(2026, 11, 20),
        )
    assert cli.main(["tick", "--now", "2026-11-25T08:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "queued the overdue reminder of support-bot M1" in out
    assert "sent the overdue reminder of M1" in out
    assert cli.main(["tick", "--now", "2026-11-25T08:01:00Z"]) == 0
    assert capsys.readouterr().out == "nothing due: no reminder, nudge or delivery to send now\n"


def test_tick_says_when_nothing_is_due(env: Database, slack: FakeSlack, capsys: Any) -> None:
    assert cli.main(["tick", "--now", "2026-11-24T09:30:00Z"]) == 0
    assert capsys.readouterr().out == "nothing due: no reminder, nudge or delivery to send now\n"
    assert slack.calls_to("chat.postMessage") == []


def _retry_now(db: Database) -> None:
    """Every row's retry time and every channel's pause are over (the queue keeps to the real
    clock, which `--now` does not move)."""
    with db.session() as session:
        session.execute(update(Delivery).values(not_before=None))
        session.execute(update(ChannelPace).values(paused_until=None))


def test_tick_exits_0_when_slack_rate_limits_and_the_reminder_goes_out_later_once(
    env: Database, slack: FakeSlack, capsys: Any
) -> None:
    _standup(env)
    slack.rate_limit("chat.postMessage", retry_after=60)
    assert cli.main(["tick", "--now", "2026-11-24T09:30:00Z"]) == 0
    assert "deferred the standup reminder: Slack asked to wait" in capsys.readouterr().out
    assert slack.messages == {}
    # A minute later by `--now`, but the channel's pause runs on the real clock: still paused.
    assert cli.main(["tick", "--now", "2026-11-24T09:31:00Z"]) == 0
    assert slack.messages == {}
    _retry_now(env)
    assert cli.main(["tick", "--now", "2026-11-24T09:31:00Z"]) == 0
    assert "sent the standup reminder" in capsys.readouterr().out
    assert len(slack.messages) == 1
    assert cli.main(["tick", "--now", "2026-11-24T09:32:00Z"]) == 0
    assert len(slack.messages) == 1


def test_tick_exits_1_when_a_post_failed_for_good(env: Database, slack: FakeSlack, capsys: Any) -> None:
    _standup(env)
    slack.fail("chat.postMessage", "channel_not_found")
    assert cli.main(["tick", "--now", "2026-11-24T09:30:00Z"]) == 1
    assert "failed the standup reminder: channel_not_found" in capsys.readouterr().out
    assert slack.messages == {}


def test_tick_exits_1_once_a_post_failed_the_set_number_of_times_in_a_row(
    env: Database, slack: FakeSlack, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICK_FAIL_AFTER_ATTEMPTS", "2")
    _standup(env)
    slack.fail("chat.postMessage", "internal_error", times=2)
    assert cli.main(["tick", "--now", "2026-11-24T09:30:00Z"]) == 0
    assert (
        "will retry the standup reminder: internal_error (failed 1 time(s) in a row)"
        in capsys.readouterr().out
    )
    _retry_now(env)
    assert cli.main(["tick", "--now", "2026-11-24T09:31:00Z"]) == 1
    assert "(failed 2 time(s) in a row)" in capsys.readouterr().out
    _retry_now(env)
    assert cli.main(["tick", "--now", "2026-11-24T09:32:00Z"]) == 0
    assert "sent the standup reminder" in capsys.readouterr().out
    assert len(slack.messages) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-11-24T09:30:00", "has no timezone"), ("tomorrow", "is not an ISO 8601 date and time")],
)
def test_tick_now_must_be_an_aware_iso_time(env: Database, capsys: Any, value: str, message: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["tick", "--now", value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record schedulers started (True: blocking) instead of running them; serve nothing."""
    record: list[object] = []

    class FakeScheduler:
        running = False

        def __init__(self, blocking: bool) -> None:
            self.blocking = blocking

        def start(self) -> None:
            record.append(self.blocking)

    monkeypatch.setattr(
        bot.scheduler, "make_scheduler", lambda settings, db, *, blocking: FakeScheduler(blocking)
    )
    monkeypatch.setattr(
        cli, "_serve_http", lambda settings, *, scheduler: record.append(f"http, scheduler={scheduler}")
    )

    class FakeWorker:
        def stop(self) -> None:
            record.append("worker stopped")

    def start_worker(settings: object, db: object) -> FakeWorker:
        record.append("worker")
        return FakeWorker()

    monkeypatch.setattr(bot.runtime, "start_worker", start_worker)
    return record


def test_run_over_http_has_gunicorns_master_run_the_scheduler(env: Database, started: list[object]) -> None:
    assert cli.main([]) == 0
    assert started == ["http, scheduler=True"]


def test_web_never_runs_the_scheduler(env: Database, started: list[object]) -> None:
    assert cli.main(["web"]) == 0
    assert started == ["http, scheduler=False"]


def test_clock_runs_the_scheduler_and_a_delivery_worker(env: Database, started: list[object]) -> None:
    assert cli.main(["clock"]) == 0
    assert started == ["worker", True, "worker stopped"]


def test_with_web_delivers_off_web_serves_but_run_refuses_for_want_of_a_clock(
    env: Database, started: list[object], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("WEB_DELIVERS", "false")
    assert cli.main([]) == 2
    assert "WEB_DELIVERS=false leaves deliveries to `python -m bot clock`" in capsys.readouterr().err
    assert started == []
    assert cli.main(["web"]) == 0
    assert cli.main(["clock"]) == 0
    assert started == ["http, scheduler=False", "worker", True, "worker stopped"]


# A blocking scheduler whose pass takes a while, stopped by SIGTERM in the middle of it.
SLOW_PASS = """
import logging, sys, time
from datetime import UTC, date, datetime
from apscheduler.schedulers.blocking import BlockingScheduler
from bot.scheduler import JOB_DEFAULTS, run_until_terminated

logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")

def say(text):  # one write per line: the scheduler logs to the same stream from another thread
    sys.stdout.write(text + "\\n")
    sys.stdout.flush()

def slow_pass():
    say("pass started")
    time.sleep(1.5)
    say("pass finished")

scheduler = BlockingScheduler(job_defaults=JOB_DEFAULTS, timezone=UTC)
# Recurring, like the real every-minute pass, and due at once.
scheduler.add_job(slow_pass, "interval", hours=1, next_run_time=datetime.now(UTC))
run_until_terminated(scheduler)
"""


def _wait_for_line(process: subprocess.Popen[str], text: str, seen: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line.rstrip("\n"))
        if text in line:
            return
    raise AssertionError(f"process ended without printing {text!r}: {seen}")


def test_sigterm_lets_the_pass_in_flight_finish_then_exits_0() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_PASS],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        _wait_for_line(process, "pass started", seen)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    lines = seen + out.splitlines()
    assert process.returncode == 0, lines
    assert "Traceback" not in out
    order = [
        "pass started",
        "clock: SIGTERM received, finishing the pass in flight",
        "pass finished",
        "clock: stopped",
    ]
    assert [line for line in lines if line in order] == order


def test_clock_logs_that_it_stopped_on_sigterm(slack: FakeSlack, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/clock.db",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        _wait_for_line(process, "Scheduler started", seen)
        time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, seen + out.splitlines()
    assert "clock: SIGTERM received" in out and out.rstrip().endswith("clock: stopped")
