"""The soak's fake Slack: tests/fakeslack.py's FakeSlack alone in its own process, whose faults
the soak switches on and off over HTTP, and which keeps every post it applied for the checks.

    .venv/bin/python -m bench.soak.slack --port 8765 --world world.json

`world.json` holds the people and channels (`{"users": [{"id", "is_admin"}], "channels":
[{"id", "name", "members"}]}`). Besides the Web API under `/api/` it answers:

- `POST /soak/faults` with the faults now in force (JSON, all optional): `slow` (seconds every
  answer is late, after the call took effect), `server_error` (`"json"` or `"html"`: HTTP 503
  without doing anything), `ratelimited` (`{channel: retry_after}`: HTTP 429 for calls into those
  channels), `reset` and `lost` (the share of calls whose connection is reset before the call
  takes effect, or after it took effect: the answer is lost), `gone` (`{channel: error}`: every
  call about that channel answers `{"ok": false, "error": error}`, as Slack does for a channel
  the bot was removed from, that was archived or deleted) and `too_long` (the share of
  `chat.postMessage` and `chat.update` calls answered `msg_too_long`). `{}` turns them all off;
- `GET /soak/message?channel=C&ts=T`: a message as Slack shows it now (updates applied);
- `GET /soak/view?trigger=X`: the view the bot opened with that trigger id;
- `GET /soak/state`: every message, every post applied (with its metadata key and when), the
  answers sent through response URLs, the count of faults served, and each permanent refusal
  (method, channel, error, when).

`auth.test` is never faulted: it is asked once per process at start-up, and a restarted worker
that could not ask it would measure the restart, not the bot.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import signal
import socket
import struct
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlparse

from tests.fakeslack import FakeSlack

HTML_503 = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
POSTS_AND_EDITS = ("chat.postMessage", "chat.update")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection the fault reset raises when the handler finishes: expected, not news."""


def _peek(path: str, headers: Any, body: bytes) -> tuple[str, str | None]:
    """The Web API method and the channel a request names (before the fake applies it)."""
    method = path[len("/api/") :].split("?")[0] if path.startswith("/api/") else ""
    raw = body.decode(errors="replace")
    try:
        args = (
            json.loads(raw) if "json" in (headers.get("Content-Type") or "") and raw else dict(parse_qsl(raw))
        )
    except ValueError:
        args = {}
    channel = args.get("channel") if isinstance(args, dict) else None
    return method, channel if isinstance(channel, str) else None


def _reset(connection: socket.socket) -> None:
    """Close with RST, as a dropped connection looks to the client."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        pass


class SoakSlack(FakeSlack):
    def __init__(self, port: int, world: dict[str, Any], seed: int) -> None:
        super().__init__()
        self._server.server_close()  # the one FakeSlack bound to a random port
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        for user in world["users"]:
            self.add_user(user["id"], is_admin=bool(user.get("is_admin")))
        for channel in world["channels"]:
            self.add_channel(channel["id"], channel["name"], members=channel["members"])
        self.faults: dict[str, Any] = {}
        self.served: Counter[str] = Counter()
        self.posts: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.calls_by_method: Counter[str] = Counter()
        self.refusals: list[dict[str, Any]] = []
        self._rng = random.Random(seed)

    # Called with the lock held, as each call that is not faulted away takes effect.
    def _answer(self, method: str, args: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        if method == "conversations.history":
            answer = self._history(args)
        else:
            answer = super()._answer(method, args, token)
        self.calls_by_method[method] += 1
        if method == "chat.postMessage" and answer.get("ok"):
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            key = ((metadata or {}).get("event_payload") or {}).get("key")
            self.posts.append(
                {
                    "channel": args["channel"],
                    "ts": answer["ts"],
                    "thread_ts": args.get("thread_ts"),
                    "key": key,
                    "at": time.time(),
                }
            )
        if method == "views.open" and isinstance(args.get("view"), dict):
            self.views[str(args.get("trigger_id"))] = args["view"]
        # The fake keeps every call for the tests; a soak of minutes keeps only counts.
        if self.calls and self.calls[-1].method != "response_url":
            self.calls.pop()
        return answer

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        """A channel's latest messages as Slack lists them: thread replies are not among them
        (the tests' fake lists them too, which would push older posts out of the window)."""
        channel = args.get("channel")
        found = [
            m
            for (ch, ts), m in sorted(self.messages.items(), key=lambda kv: -float(kv[0][1]))
            if ch == channel and m.get("thread_ts") in (None, ts)
        ]
        return {"ok": True, "messages": found[: int(args.get("limit") or 100)]}

    def _decide(self, method: str, channel: str | None) -> tuple[str, float | str]:
        """The fault this call meets: ("", 0) for none; ("refused", error) for a permanent one."""
        if not method or method == "auth.test":
            return "", 0.0
        with self._lock:
            faults = dict(self.faults)
            roll = self._rng.random()
            too_long_roll = self._rng.random()
        gone = faults.get("gone") or {}
        if channel and channel in gone:
            return "refused", str(gone[channel])
        if method in POSTS_AND_EDITS and too_long_roll < float(faults.get("too_long") or 0):
            return "refused", "msg_too_long"
        limited = faults.get("ratelimited") or {}
        if channel and channel in limited:
            return "ratelimited", float(limited[channel])
        if faults.get("server_error"):
            return "server_error_" + str(faults["server_error"]), 0.0
        reset, lost = float(faults.get("reset") or 0), float(faults.get("lost") or 0)
        if roll < reset:
            return "reset", 0.0
        if roll < reset + lost:
            return "lost", 0.0
        if faults.get("slow"):
            return "slow", float(faults["slow"])
        return "", 0.0

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self
        base = super()._handler()

        class Handler(base):  # type: ignore[valid-type,misc]
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                self.rfile = io.BytesIO(body)
                method, channel = _peek(self.path, self.headers, body)
                fault, value = fake._decide(method, channel)
                if fault:
                    with fake._lock:
                        fake.served[fault if fault != "refused" else str(value)] += 1
                        if fault == "refused":
                            fake.refusals.append(
                                {"method": method, "channel": channel, "error": value, "at": time.time()}
                            )
                if fault == "refused":
                    self._send(200, {"ok": False, "error": value}, {})
                    return
                if fault == "reset":
                    self.close_connection = True
                    _reset(self.connection)
                    return
                if fault == "ratelimited":
                    self._send(
                        429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(int(float(value)))}
                    )
                    return
                if fault == "server_error_json":
                    self._send(503, {"ok": False, "error": "service_unavailable"}, {})
                    return
                if fault == "server_error_html":
                    self._send_raw(503, HTML_503, "text/html")
                    return
                real, buffer = self.wfile, io.BytesIO()
                self.wfile = buffer
                try:
                    super().do_POST()
                finally:
                    self.wfile = real
                if fault == "lost":
                    self.close_connection = True
                    _reset(self.connection)
                    return
                if fault == "slow":
                    time.sleep(float(value))
                real.write(buffer.getvalue())

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _send_raw(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with fake._lock:
                    if url.path == "/soak/message":
                        found = fake.messages.get((query.get("channel", ""), query.get("ts", "")))
                        body = json.dumps(found).encode() if found else None
                    elif url.path == "/soak/view":
                        view = fake.views.get(query.get("trigger", ""))
                        body = json.dumps(view).encode() if view else None
                    elif url.path == "/soak/state":
                        body = json.dumps(fake.state()).encode()
                    else:
                        body = None
                if body is None:
                    self._send(404, {"ok": False}, {})
                    return
                self._send_raw(200, body, "application/json")

            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                faults = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.faults = faults
                self._send(200, {"ok": True}, {})

        return Handler

    def state(self) -> dict[str, Any]:
        """Everything the checks read (call with the lock held)."""
        return {
            "messages": [
                {
                    "channel": channel,
                    "ts": ts,
                    "thread_ts": m.get("thread_ts"),
                    "text": m.get("text"),
                    "blocks": m.get("blocks"),
                    "key": ((m.get("metadata") or {}).get("event_payload") or {}).get("key")
                    if isinstance(m.get("metadata"), dict)
                    else None,
                }
                for (channel, ts), m in self.messages.items()
            ],
            "posts": self.posts,
            "responses": [
                {"path": c.args.get("path"), "text": c.args.get("text", "")}
                for c in self.calls
                if c.method == "response_url"
            ],
            "served": dict(self.served),
            "refusals": self.refusals,
            "calls": dict(self.calls_by_method),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    slack = SoakSlack(args.port, json.loads(args.world.read_text()), args.seed)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    slack.start()
    print(f"soak slack ready on {slack.api_url}", flush=True)
    stop.wait()
    slack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
