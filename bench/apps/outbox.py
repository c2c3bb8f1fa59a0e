"""The least code giving the bot's guarantees for `/experiment propose`: the baseline that counts.

A Bolt app (Bolt verifies the Slack signature, as the bot's does) whose listener inserts the
experiment and an outbox row in ONE stdlib sqlite3 transaction, then acks with the ephemeral
confirmation. Nothing is posted from the request: a command is never lost to a slow Slack, and
the card is posted even if the process dies after the ack (the row outlives it).

Each gunicorn worker process runs a delivery loop and a pool of DELIVERY_THREADS threads (the
bot's default, 64, or BENCH_DELIVERY_THREADS). The loop claims due rows, as many as it has free
threads, and hands each to a thread that renders the card from the database, posts it with
chat.postMessage, and records the ts (deleting the row) in one transaction; a failed post puts
the row back with capped exponential backoff (2 s, 4 s, … 5 min, as the bot's queue). The
listener's commit wakes its own process's loop; otherwise the loop looks every 0.5 s.

The claim is one `UPDATE … WHERE id IN (SELECT … due … LIMIT n) RETURNING` statement: SQLite
lets one connection write at a time (across processes), and the statement takes the write lock
before it reads, so the rows it picks are due and no other claim can pick them: it moves their
next_at to the end of a lease (120 s, the bot's). A row whose claimant died becomes due again
when the lease runs out, and any process takes it over. SQLite only, by definition.

As the bot: WAL with synchronous=NORMAL, connections kept per thread, busy timeout 30 s,
listeners answering in the request's thread (`process_before_response`, no hand-off to Bolt's
listener pool and its 10 ms ack polling), the delivery client without retries of its own and a
10 s time-out. Served by bench.load with the same gunicorn options as the other baselines; the
threads start when a worker imports this module (gunicorn without --preload). The database file
(BENCH_DB_PATH) is created by `bench.apps.schema.create` before the server starts.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bench.apps._env import TOKEN, bolt_app, ready
from bench.apps.card import card

DB_PATH = os.environ["BENCH_DB_PATH"]
THREADS = int(os.environ.get("BENCH_DELIVERY_THREADS", "64"))
POLL_SECONDS = 0.5
LEASE_SECONDS = 120.0
FIRST_RETRY, MAX_RETRY = 2.0, 300.0

RENDER = "SELECT number, hypothesis, owner_id, channel_id FROM experiment WHERE id = ?"
DUE = "SELECT 1 FROM outbox WHERE next_at <= ? LIMIT 1"

log = logging.getLogger("bench.outbox")
_local = threading.local()
_wake = threading.Event()
_free = threading.Semaphore(THREADS)


def db() -> sqlite3.Connection:
    """This thread's connection."""
    conn = getattr(_local, "db", None)
    if conn is None:
        conn = _local.db = sqlite3.connect(DB_PATH, timeout=30)
        conn.execute("PRAGMA synchronous=NORMAL")
    return conn


bolt = bolt_app(process_before_response=True)


@bolt.command("/experiment")
def experiment(ack: Ack, command: dict[str, Any]) -> None:
    verb, _, hypothesis = command["text"].partition(" ")
    if verb != "propose" or not hypothesis:
        ack("Usage: /experiment propose <hypothesis>")
        return
    team, owner, channel = command["team_id"], command["user_id"], command["channel_id"]
    with db() as conn:  # one transaction: both rows or neither
        experiment_id, number = conn.execute(
            "INSERT INTO experiment (team_id, number, hypothesis, owner_id, channel_id) "
            "VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM experiment WHERE team_id = ?), ?, ?, ?) "
            "RETURNING id, number",
            (team, team, hypothesis, owner, channel),
        ).fetchone()
        conn.execute(
            "INSERT INTO outbox (experiment_id, next_at) VALUES (?, ?)", (experiment_id, time.time())
        )
    ack(
        response_type="ephemeral",
        text=f":white_check_mark: Proposed *EXP-{number}*. Its card is in this channel.",
    )
    _wake.set()


def claim(limit: int) -> list[tuple[int, int, int]]:
    """Take up to `limit` due rows for a lease: (id, experiment_id, attempts) each."""
    now = time.time()
    with db() as conn:
        return conn.execute(
            "UPDATE outbox SET next_at = ? WHERE id IN "
            "(SELECT id FROM outbox WHERE next_at <= ? ORDER BY next_at LIMIT ?) "
            "RETURNING id, experiment_id, attempts",
            (now + LEASE_SECONDS, now, limit),
        ).fetchall()


def deliver(client: WebClient, row: tuple[int, int, int]) -> None:
    """Render the card from the database, post it, record the ts; or schedule the retry."""
    outbox_id, experiment_id, attempts = row
    try:
        number, hypothesis, owner, channel = db().execute(RENDER, (experiment_id,)).fetchone()
        posted = client.chat_postMessage(
            channel=channel,
            text=f"EXP-{number} (proposed): {hypothesis}",
            blocks=card(number, hypothesis, owner),
        )
        with db() as conn:
            conn.execute("UPDATE experiment SET card_ts = ? WHERE id = ?", (posted["ts"], experiment_id))
            conn.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))
    except Exception as exc:
        wait = min(FIRST_RETRY * 2**attempts, MAX_RETRY) * (1 + 0.25 * random.random())
        log.warning("card of experiment %s failed (%s), retry in %.1f s", experiment_id, exc, wait)
        with db() as conn:
            conn.execute(
                "UPDATE outbox SET next_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
                (time.time() + wait, repr(exc), outbox_id),
            )
    finally:
        _free.release()


def deliver_forever() -> None:
    client = WebClient(token=TOKEN, base_url=os.environ["BENCH_SLACK_API_URL"], timeout=10, retry_handlers=[])
    pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="outbox")
    while True:
        woken = _wake.wait(POLL_SECONDS)
        _wake.clear()
        _free.acquire()  # a thread to send with, then every other one free now
        free = 1
        while free < THREADS and _free.acquire(blocking=False):
            free += 1
        try:
            # Not woken: read first, so an idle queue takes no write lock.
            due = woken or db().execute(DUE, (time.time(),)).fetchone()
            rows = claim(free) if due else []
        except sqlite3.Error:
            log.exception("claim failed")
            rows = []
        for _ in range(free - len(rows)):
            _free.release()
        for row in rows:
            pool.submit(deliver, client, row)
        if rows and len(rows) == free:
            _wake.set()  # there may be more


threading.Thread(target=deliver_forever, name="outbox-loop", daemon=True).start()
app = SlackRequestHandler(bolt)
ready("outbox")
