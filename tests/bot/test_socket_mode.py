"""Socket Mode end to end: Bolt's real Socket Mode client, connected over a WebSocket on
loopback to a stand-in for Slack's Socket Mode endpoint, with the Web API on the fake Slack."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from bot.runtime import start_worker
from bot.services import Services
from bot.socket_mode import socket_mode_handler
from bot.web import answers_pool
from storage.db import Database
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import all_text, make_settings


class FakeSocketEndpoint:
    """Accepts one Socket Mode connection, sends envelopes, collects the client's acks."""

    def __init__(self) -> None:
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self._connected = threading.Event()
        self._conn: ServerConnection | None = None
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link"

    def start(self) -> FakeSocketEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _handle(self, conn: ServerConnection) -> None:
        self._conn = conn
        conn.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
        self._connected.set()
        for raw in conn:
            self.acks.put(json.loads(raw))

    def send(self, envelope: dict[str, Any]) -> None:
        assert self._connected.wait(5), "the Socket Mode client never connected"
        assert self._conn is not None
        self._conn.send(json.dumps(envelope))


@pytest.fixture
def endpoint() -> Iterator[FakeSocketEndpoint]:
    server = FakeSocketEndpoint().start()
    yield server
    server.stop()


def test_propose_over_socket_mode(
    slack: FakeSlack, sqlite_db: Database, endpoint: FakeSocketEndpoint
) -> None:
    slack.socket_url = endpoint.url
    settings = make_settings(slack, sqlite_db, slack_app_token="xapp-test", slack_signing_secret=None)
    worker = start_worker(settings, sqlite_db)
    handler = socket_mode_handler(Services(settings=settings, db=sqlite_db, answers=answers_pool(settings)))
    handler.connect()
    try:
        endpoint.send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "team_id": TEAM_ID,
                    "channel_id": "C_TEAM",
                    "user_id": "U_OWNER",
                    "command": "/experiment",
                    "text": "propose Socket Mode proposals work too",
                    "response_url": f"{slack.url}/response/1",
                    "trigger_id": "t1",
                    "api_app_id": "A1",
                },
            }
        )
        ack = endpoint.acks.get(timeout=5)
    finally:
        handler.close()

    assert ack["envelope_id"] == "env-1"
    assert "EXP-1" in ack["payload"]["text"]
    assert ack["payload"]["response_type"] == "ephemeral"
    try:
        post = slack.wait_for("chat.postMessage", timeout=10)[0]
    finally:
        worker.stop()
    assert "Socket Mode proposals work too" in all_text(post.args["blocks"])
    opened = slack.calls_to("apps.connections.open")[0]
    assert opened.headers["Authorization"] == "Bearer xapp-test"
