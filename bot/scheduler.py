"""The long-running scheduler: one APScheduler job that runs the scheduler pass every minute.

The database, not APScheduler's job store, is the source of truth: each pass reads the
ceremonies as they are now (a change made in Slack takes effect on the next pass, no restart)
and claims its work there, so several clock processes may run at once. APScheduler only
provides the heartbeat, in memory. A pass only queues; the process's delivery worker posts.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.metrics import PASS_QUEUED, PASS_SECONDS
from bot.runtime import tick_config
from bot.settings import Settings
from storage.db import Database
from storage.types import utcnow
from workflow.tick import PassReport, run_pass

log = logging.getLogger(__name__)

PASS_JOB_ID = "scheduler_pass"
JOB_DEFAULTS = {
    # After a stall (suspended host, long GC), run one catch-up pass, not one per missed minute.
    "coalesce": True,
    # Two passes of one process never overlap (they would only race each other for claims).
    "max_instances": 1,
    # APScheduler's default (1 s) would drop a pass delayed by a busy thread pool. Up to 50 s late
    # it still runs; later than that, the next minute's pass does the same work (the database,
    # not the job, knows what is due, including anything missed while the process was down).
    "misfire_grace_time": 50,
}


def run_once(settings: Settings, db: Database, *, now: datetime) -> PassReport:
    """One pass at `now`: what `python -m bot tick` and every scheduled minute run."""
    with PASS_SECONDS.time():
        report = run_pass(db, now=now, config=tick_config(settings))
    for what in fields(report):
        done = getattr(report, what.name)
        if isinstance(done, list) and done:
            PASS_QUEUED.labels(what.name).inc(len(done))
    return report


def _scheduled_pass(settings: Settings, db: Database, clock: Callable[[], datetime]) -> None:
    try:
        run_once(settings, db, now=clock())
    except Exception:
        # Keep the heartbeat going: the next minute's pass does whatever this one left.
        log.exception("scheduler pass failed")


def make_scheduler(
    settings: Settings,
    db: Database,
    *,
    blocking: bool,
    clock: Callable[[], datetime] = utcnow,
) -> BaseScheduler:
    """A scheduler (not started) with the every-minute pass; blocking for `clock`, else background."""
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(job_defaults=JOB_DEFAULTS, timezone=UTC)
    scheduler.add_job(
        _scheduled_pass,
        # On the minute, so a reminder due at 09:30 goes out at 09:30:00, not up to a minute later.
        CronTrigger(second=0, timezone=UTC),
        args=(settings, db, clock),
        id=PASS_JOB_ID,
        name="queue due ceremony reminders and nudges",
        replace_existing=True,
    )
    return scheduler


def run_until_terminated(scheduler: BaseScheduler) -> None:
    """Run a blocking scheduler until SIGTERM (or Ctrl-C), letting the pass in flight finish.

    Platforms stop a process with SIGTERM and kill it a little later; without a handler Python
    dies at once (status 143), possibly between claiming a reminder and posting it. The handler
    only starts a thread that shuts the scheduler down: `shutdown(wait=True)` waits for the pass
    running on the scheduler's worker thread, then wakes the scheduler's loop, and `start()` returns.

    The loop runs on a thread of its own while the main thread waits in short joins. The kernel may
    deliver SIGTERM to any thread (the one running the pass, say); Python runs the handler only on
    the main thread, and only once that thread wakes. Blocked in the scheduler's wait for the next
    run (up to an hour in the tests), it would not wake in time; a half-second join does.
    """
    stoppers: list[threading.Thread] = []

    def stop(signum: int) -> None:
        log.info("clock: %s received, finishing the pass in flight", signal.Signals(signum).name)
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=True)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if not stoppers:
            stoppers.append(threading.Thread(target=stop, args=(signum,), name="clock-stop"))
            stoppers[0].start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    failed: list[BaseException] = []

    def run_loop() -> None:
        try:
            scheduler.start()
        except BaseException as error:  # handed to the main thread, which raises it as before
            failed.append(error)

    loop = threading.Thread(target=run_loop, name="clock-loop")
    try:
        loop.start()
        while loop.is_alive():
            loop.join(0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise failed[0]
    for stopper in stoppers:
        stopper.join()
    log.info("clock: stopped")
