"""`python -m bot deliveries`: see what is owed, retry a failed row, drop one; and the log line."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

import bot.__main__ as cli
from bot.delivery.worker import drain
from bot.installs import team_clients
from bot.runtime import worker_config
from storage.db import Database
from storage.models import Delivery
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import make_settings
from workflow import proposals
from workflow.delivery import State

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, slack: FakeSlack, sqlite_db: Database) -> Database:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": sqlite_db.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    return sqlite_db


def _propose(db: Database, channel: str) -> None:
    proposals.propose(db, team_id=TEAM_ID, owner_id="U1", hypothesis="H", channel_id=channel)


def _send(db: Database, slack: FakeSlack) -> None:
    settings = make_settings(slack, db)
    drain(team_clients(settings, db), db, worker_config(settings), now=NOW)


def _rows(db: Database) -> list[Delivery]:
    with db.read() as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)).all())


def test_an_empty_queue_says_so(env: Database, capsys: Any) -> None:
    assert cli.main(["deliveries"]) == 0
    assert capsys.readouterr().out == "nothing pending, retrying or failed\n"


def test_list_shows_pending_retrying_and_failed_with_their_errors(
    env: Database, slack: FakeSlack, capsys: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _propose(env, "C_GONE")
    _propose(env, "C_FLAKY")
    slack.fail("chat.postMessage", "channel_not_found", channel="C_GONE")
    slack.fail("chat.postMessage", "internal_error", channel="C_FLAKY", status=500)
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        _send(env, slack)
    _propose(env, "C_LATER")
    # One structured line per failed attempt.
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery_failed")]
    assert len(lines) == 2
    assert (
        "kind=experiment team=T0TEAM channel=C_GONE attempt=1 permanent=true error=channel_not_found"
        in lines[0]
    )
    assert "channel=C_FLAKY attempt=1 permanent=false error=internal_error retry_in=" in lines[1]

    assert cli.main(["deliveries", "list"]) == 0
    out = capsys.readouterr().out
    failed, retrying, pending = (line for line in out.splitlines() if "the card of EXP-" in line)
    assert "failed" in failed and "C_GONE" in failed and "error=channel_not_found" in failed
    assert "retrying" in retrying and "attempts=1" in retrying and "error=internal_error" in retrying
    assert "pending" in pending and "C_LATER" in pending
    assert re.fullmatch(r"2 undelivered, the oldest \d+ s old", out.splitlines()[-1])


def test_retry_sends_a_failed_row_again_and_drop_forgets_one(
    env: Database, slack: FakeSlack, capsys: Any
) -> None:
    _propose(env, "C1")
    _propose(env, "C2")
    slack.fail("chat.postMessage", "not_in_channel", times=2)
    _send(env, slack)
    first, second = (r for r in _rows(env) if r.kind == "experiment")
    assert (first.state, second.state) == ("failed", "failed")

    assert cli.main(["deliveries", "retry", str(first.id)]) == 0
    assert f"delivery {first.id} queued again" in capsys.readouterr().out
    assert cli.main(["deliveries", "drop", str(second.id)]) == 0
    assert f"delivery {second.id} dropped" in capsys.readouterr().out
    _send(env, slack)  # the bot was invited meanwhile
    states = {r.id: r.state for r in _rows(env)}
    assert states[first.id] == "delivered" and second.id not in states
    assert [m["channel"] for m in slack.messages.values()] == ["C1"]


@pytest.mark.parametrize(
    ("args", "expected", "status"),
    [
        (["deliveries", "retry"], "say which row", 2),
        (["deliveries", "retry", "999"], "error: delivery 999 does not exist", 1),
        (["deliveries", "drop", "999"], "error: delivery 999 does not exist", 1),
    ],
)
def test_retry_and_drop_refuse_what_they_cannot_do(
    env: Database, capsys: Any, args: list[str], expected: str, status: int
) -> None:
    assert cli.main(args) == status
    assert expected in capsys.readouterr().out


def test_drop_refuses_a_row_being_sent(env: Database, capsys: Any) -> None:
    _propose(env, "C1")
    with env.session() as session:
        row = session.exec(select(Delivery).where(Delivery.kind == "experiment")).one()
        row.state = State.SENDING
        session.add(row)
    assert cli.main(["deliveries", "drop", str(row.id)]) == 1
    assert capsys.readouterr().out == (
        f"error: delivery {row.id} is being sent right now; try again once it is done "
        "(see python -m bot deliveries list)\n"
    )
    assert row.id in {r.id for r in _rows(env)}


def test_retry_refuses_a_row_that_has_not_failed(env: Database, capsys: Any) -> None:
    _propose(env, "C1")
    row = next(r for r in _rows(env) if r.kind == "experiment")
    assert cli.main(["deliveries", "retry", str(row.id)]) == 1
    assert f"error: delivery {row.id} is not a failed row" in capsys.readouterr().out
