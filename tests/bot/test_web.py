"""The HTTP surface: Slack's signature check, the health endpoint, unknown paths."""

from __future__ import annotations

import io
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from slack_sdk.signature import SignatureVerifier

import bot.web
from bot.web import wsgi_app
from storage.db import Database
from tests.fakeslack import FakeSlack
from tests.harness import BotServer, make_settings

FORM = "application/x-www-form-urlencoded"


def test_slacks_own_signature_test_vector() -> None:
    # From Slack's "Verifying requests from Slack" page: proves the signer the tests use is Slack's.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    signature = SignatureVerifier("8f742231b10e8888abcd99yyyzzz85a5").generate_signature(
        timestamp="1531420618", body=body
    )
    assert signature == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_unsigned_request_is_rejected_and_changes_nothing(bot: BotServer) -> None:
    body = urlencode(
        {"team_id": "T0TEAM", "user_id": "U1", "command": "/experiment", "text": "propose Sneaky"}
    )
    reply = bot.post(body, FORM, sign=False)
    assert reply.status == 401
    assert bot.slack.calls_to("chat.postMessage") == []
    assert "no experiment EXP-1 here" in bot.command("/experiment", "show EXP-1").text


def test_stale_signed_request_is_rejected(bot: BotServer) -> None:
    reply = bot.command("/experiment", "propose Replayed", timestamp=int(time.time()) - 600)
    assert reply.status == 401
    assert bot.slack.calls_to("chat.postMessage") == []


def test_tampered_body_is_rejected(bot: BotServer) -> None:
    body = urlencode({"team_id": "T0TEAM", "command": "/experiment", "text": "list"})
    ts = str(int(time.time()))
    signature = bot.verifier.generate_signature(timestamp=ts, body=body)
    reply = bot.post(body + "&x=1", FORM, sign=False, headers={"X-Slack-Signature": signature})
    assert reply.status == 401


def test_healthz_checks_the_database_and_reports_the_delivery_backlog(bot: BotServer) -> None:
    reply = bot.get("/healthz")
    assert reply.status == 200
    assert reply.json() == {
        "status": "ok",
        "database": "ok",
        "deliveries": {"undelivered": 0, "oldest_age_seconds": 0.0},
    }


def test_head_healthz_answers_like_get_without_a_body(bot: BotServer) -> None:
    # Called as a WSGI server calls it: gunicorn logs a warning for any body bytes sent to a HEAD.
    app = wsgi_app(bot.services)

    def call(method: str) -> tuple[list[Any], bytes]:
        answer: list[Any] = []
        environ = {"REQUEST_METHOD": method, "PATH_INFO": "/healthz", "wsgi.input": io.BytesIO()}
        body = b"".join(app(environ, lambda status, headers, *_: answer.extend([status, dict(headers)])))
        return answer, body

    (get_answer, get_body), (head_answer, head_body) = call("GET"), call("HEAD")
    assert head_answer == get_answer
    assert head_answer[0] == "200 OK" and head_answer[1]["Content-Length"] == str(len(get_body))
    assert get_body and head_body == b""
    assert requests.head(f"{bot.url}/healthz", timeout=5).status_code == 200


def test_healthz_reports_an_unreachable_database(bot: BotServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ConnectionError("database is gone")

    monkeypatch.setattr(bot.db, "read", broken)
    reply = bot.get("/healthz")
    assert reply.status == 503
    assert reply.json()["database"] == "unreachable"


def test_healthz_answers_503_when_deliveries_back_up_and_200_once_they_drain(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    bot = BotServer(slack, sqlite_db, health_max_backlog=2, health_max_delivery_age_seconds=60)
    bot.start(deliver=False)  # a web process whose worker is not keeping up
    try:
        for i in range(3):
            assert bot.command("/experiment", f"propose Hypothesis {i}", settle=False).status == 200
        reply = bot.get("/healthz")
        assert reply.status == 503
        body = reply.json()
        assert body["status"] == "degraded" and body["deliveries"]["undelivered"] == 3
        assert "HEALTH_MAX_BACKLOG=2" in body["problems"][0]
        bot.worker.start()
        slack.wait_for("chat.postMessage", 3)
        bot.settle()
        assert bot.get("/healthz").status == 200
    finally:
        bot.stop()


def test_healthz_answers_503_when_the_oldest_delivery_is_too_old(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    bot = BotServer(slack, sqlite_db, health_max_delivery_age_seconds=0.2).start(deliver=False)
    try:
        bot.command("/experiment", "propose Stuck", settle=False)
        time.sleep(0.3)
        reply = bot.get("/healthz")
        assert reply.status == 503
        assert "HEALTH_MAX_DELIVERY_AGE_SECONDS=0.2" in reply.json()["problems"][0]
    finally:
        bot.stop()


def test_other_paths_are_not_found(bot: BotServer) -> None:
    assert bot.get("/").status == 404
    assert bot.get("/slack/events").status == 404


def test_a_web_worker_delivers_too_unless_web_delivers_is_off(
    slack: FakeSlack, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Database] = []
    monkeypatch.setattr(bot.web, "open_database", lambda settings: sqlite_db)
    monkeypatch.setattr(bot.web, "start_worker", lambda settings, db: started.append(db))
    bot.web.create_wsgi_app(make_settings(slack, sqlite_db))
    assert started == [sqlite_db]
    bot.web.create_wsgi_app(make_settings(slack, sqlite_db, web_delivers=False))
    assert started == [sqlite_db]
