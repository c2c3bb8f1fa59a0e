"""Driving the real bot over real HTTP with correctly signed requests, as Slack does."""

from __future__ import annotations

import html
import itertools
import json
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from slack_sdk.signature import SignatureVerifier

from bot.delivery.worker import Worker
from bot.installs import team_clients
from bot.runtime import worker_config
from bot.services import Services
from bot.settings import Settings
from bot.web import wsgi_app
from storage.db import Database
from storage.types import utcnow
from tests.fakeslack import BOT_USER_ID, TEAM_ID, FakeSlack
from workflow import delivery

SIGNING_SECRET = "test-signing-secret"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when 40 "people" arrive at once.
    request_queue_size = 128


class TrackingExecutor(ThreadPoolExecutor):
    """The answers pool, made observable: `settle()` waits until every task has finished.

    Listeners hand Slack calls made after the ack (modals, private answers) to this pool;
    tests settle before reading what was sent, instead of guessing with sleeps.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=16, thread_name_prefix="answers")
        self._pending: set[Future[Any]] = set()
        self._idle = threading.Condition()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._idle:
            self._pending.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: Future[Any]) -> None:
        with self._idle:
            self._pending.discard(future)
            self._idle.notify_all()

    def settle(self, timeout: float = 10.0) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: not self._pending, timeout):
                raise AssertionError(f"{len(self._pending)} listener(s) still running after {timeout} s")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def make_settings(slack: FakeSlack, db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_api_url": slack.api_url,
        "database_url": db.url,
        "admin_user_ids": "",
        # Tests post far faster than a real channel allows; pacing has tests of its own.
        "delivery_rate_per_channel": 0,
        "delivery_poll_seconds": 0.05,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Response:
    status: int
    body: str
    # What the bot answered later through this request's response_url (after a deferred ack).
    followups: list[dict[str, Any]] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def response_type(self) -> str | None:
        """How the answer was shown: the ack's response_type, else the first follow-up's."""
        data = self.json() if self.body else None
        if isinstance(data, dict) and data.get("response_type"):
            return str(data["response_type"])
        return self.followups[0].get("response_type") if self.followups else None

    @property
    def text(self) -> str:
        """The ephemeral text the ack carried, then any private follow-ups; or the raw body."""
        try:
            data = self.json()
        except ValueError:
            return self.body
        ack = data.get("text", "") if isinstance(data, dict) else self.body
        return "\n".join([ack, *(f.get("text", "") for f in self.followups)]).strip()


class BotServer:
    """The production WSGI app served on loopback, wired to a fake Slack and a test database."""

    def __init__(self, slack: FakeSlack, db: Database, **settings: Any) -> None:
        self.slack = slack
        self.db = db
        self.settings = make_settings(slack, db, **settings)
        self.answers = TrackingExecutor()
        self.services = Services(settings=self.settings, db=db, answers=self.answers)
        self.worker = Worker(team_clients(self.settings, db), db, worker_config(self.settings))
        self._server = make_server(
            "127.0.0.1",
            0,
            wsgi_app(self.services),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._responses = itertools.count(1)
        self.verifier = SignatureVerifier(SIGNING_SECRET)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, *, deliver: bool = True) -> BotServer:
        """Serve; with `deliver`, run a delivery worker too (as every web process does)."""
        self._thread.start()
        if deliver:
            self.worker.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.answers.shutdown(wait=True)
        if self.worker.started:
            self.worker.stop()

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until the answers started so far have finished and the queue has nothing due
        (rows waiting for a retry later are not due). A bot started without its delivery worker
        leaves the queue to the test (e.g. scheduler passes that drain it at a chosen time)."""
        self.answers.settle(timeout)
        deadline = time.monotonic() + timeout
        while self.worker.started and not self.worker.idle():
            if time.monotonic() > deadline:
                raise AssertionError(f"deliveries still due after {timeout} s")
            time.sleep(0.02)
        self.answers.settle(timeout)

    def delivered(self, timeout: float = 20.0) -> None:
        """Wait until nothing is left undelivered, retries included (Slack recovered)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.db.read() as session:
                left = delivery.backlog(session, now=utcnow()).undelivered
            if left == 0:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{left} deliveries still undelivered after {timeout} s")
            time.sleep(0.05)
        self.settle()

    # -- raw requests ----------------------------------------------------------------------
    def post(
        self,
        body: str,
        content_type: str,
        *,
        sign: bool = True,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        settle: bool = True,
    ) -> Response:
        """POST to /slack/events; with `settle`, return once the listeners it started have finished."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, **(headers or {})}
        if sign:
            all_headers["X-Slack-Signature"] = self.verifier.generate_signature(timestamp=ts, body=body)
        reply = requests.post(f"{self.url}/slack/events", data=body.encode(), headers=all_headers, timeout=10)
        if settle:
            self.settle()
        return Response(reply.status_code, reply.text, self._followups(body) if settle else [])

    def _followups(self, body: str) -> list[dict[str, Any]]:
        """The response_url calls answering the request whose form body is `body`."""
        form = dict(parse_qsl(body))
        if "payload" in form:
            form = json.loads(form["payload"])
        url = form.get("response_url") if isinstance(form, dict) else None
        if not url:
            return []
        path = url[len(self.slack.url) :]
        return [c.args for c in self.slack.calls_to("response_url") if c.args.get("path") == path]

    def get(self, path: str) -> Response:
        reply = requests.get(f"{self.url}{path}", timeout=10)
        return Response(reply.status_code, reply.text)

    # -- installing in many workspaces (OAuth) -----------------------------------------------
    def install(
        self,
        team_id: str,
        team_name: str = "Team",
        *,
        installer: str = "UINSTALLER",
        expires_in: int | None = None,
    ) -> Response:
        """Install the app in a workspace as a person does: open `/slack/install`, follow its
        "Add to Slack" link to Slack, click Allow, and come back to `/slack/oauth_redirect` with
        Slack's code, in the same browser (the state cookie)."""
        page = requests.get(f"{self.url}/slack/install", timeout=10)
        assert page.status_code == 200, page.text
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text)
        assert link is not None, f"no Add to Slack link on the install page: {page.text}"
        query = dict(parse_qsl(urlsplit(html.unescape(link.group(1))).query))
        # The cookie is `Secure` (production is HTTPS), so `requests` would not send it back over
        # the loopback's plain HTTP; a browser on HTTPS does, and so does this.
        cookie = page.headers["Set-Cookie"].split(";")[0]
        code = self.slack.authorize(team_id, team_name, installer=installer, expires_in=expires_in)
        back = requests.get(
            f"{self.url}/slack/oauth_redirect",
            params={"code": code, "state": query["state"]},
            headers={"Cookie": cookie},
            timeout=10,
        )
        return Response(back.status_code, back.text)

    def uninstall(self, team_id: str, *, event: str = "app_uninstalled") -> Response:
        """The workspace removes the app: Slack revokes its tokens and sends the event."""
        self.slack.revoke(team_id)
        if event == "tokens_revoked":
            return self.event({"type": event, "tokens": {"oauth": [], "bot": [BOT_USER_ID]}}, team=team_id)
        return self.event({"type": event}, team=team_id)

    # -- what Slack sends --------------------------------------------------------------------
    def command(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "U_OWNER",
        channel: str = "C_TEAM",
        team: str = TEAM_ID,
        **kwargs: Any,
    ) -> Response:
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": "team",
            "channel_id": channel,
            "channel_name": "team",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": f"{self.slack.url}/response/{next(self._responses)}",
            "trigger_id": f"trigger-{time.monotonic_ns()}",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kwargs)

    def interact(self, payload: dict[str, Any], **kwargs: Any) -> Response:
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kwargs
        )

    def click(
        self,
        channel: str,
        ts: str,
        action_id: str,
        *,
        user: str,
        value: str | None = None,
        team: str = TEAM_ID,
        **kwargs: Any,
    ) -> Response:
        """Click the element `action_id` in the message the bot posted at (channel, ts).

        The payload is built from the message as the fake Slack holds it (updates applied),
        so a click on a button the bot never rendered fails the test.
        """
        payload = self.click_payload(channel, ts, action_id, user=user, value=value, team=team)
        return self.interact(payload, **kwargs)

    def click_payload(
        self,
        channel: str,
        ts: str,
        action_id: str,
        *,
        user: str,
        value: str | None = None,
        team: str = TEAM_ID,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The `block_actions` payload Slack sends for the click; `message` clicks a stale copy."""
        message = message or self.slack.message(channel, ts)
        action, container = block_action(message, channel=channel, action_id=action_id, value=value)
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "token": "legacy",
            "container": container,
            "trigger_id": f"trigger-{time.monotonic_ns()}",
            "team": {"id": team, "domain": "team"},
            "channel": {"id": channel, "name": "team"},
            "message": {**message, "type": "message"},
            "response_url": f"{self.slack.url}/response/{next(self._responses)}",
            "actions": [action],
        }
        return payload

    def toggle(
        self, channel: str, ts: str, action_id: str, option_value: str, *, user: str, **kwargs: Any
    ) -> Response:
        """Tick or untick one option of a checkbox group, as Slack reports the new selection."""
        message = self.slack.message(channel, ts)
        _, element = find_element(message.get("blocks") or [], action_id)
        selected = list(element.get("initial_options", []))
        values = [o["value"] for o in selected]
        if option_value in values:
            selected = [o for o in selected if o["value"] != option_value]
        else:
            selected.append(next(o for o in element["options"] if o["value"] == option_value))
        element["_selected"] = selected
        try:
            return self.click(channel, ts, action_id, user=user, **kwargs)
        finally:
            element.pop("_selected", None)

    def submit_view(
        self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str, team: str = TEAM_ID
    ) -> Response:
        """Submit a modal the bot opened. `values` is {block_id: {action_id: state}}."""
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": "team"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": f"trigger-{time.monotonic_ns()}",
            "view": {
                **view,
                "id": "V1",
                "team_id": team,
                "state": {"values": values},
                "hash": "h",
                "private_metadata": view.get("private_metadata", ""),
            },
        }
        return self.interact(payload)

    def event(self, event: dict[str, Any], *, team: str = TEAM_ID) -> Response:
        envelope = {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
        }
        return self.post(json.dumps(envelope), "application/json")


def find_element(
    blocks: list[dict[str, Any]], action_id: str, *, value: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in blocks:
        candidates = block.get("elements", []) if block.get("type") == "actions" else []
        if "accessory" in block:
            candidates = [*candidates, block["accessory"]]
        for element in candidates:
            if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                return block, element
    raise AssertionError(f"no element {action_id!r} (value={value!r}) in the message's blocks")


def block_action(
    message: dict[str, Any],
    *,
    channel: str,
    action_id: str,
    value: str | None = None,
    selected: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `actions` entry and the `container` of Slack's block_actions payload for a click on
    `message` as the clicker sees it. A checkbox group sends the options `selected` (by value),
    or by default those ticked in the message (`toggle`) or initially."""
    block, element = find_element(message.get("blocks") or [], action_id, value=value)
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": action_id,
        "block_id": block["block_id"],
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "checkboxes":
        action["selected_options"] = (
            [o for o in element["options"] if o["value"] in selected]
            if selected is not None
            else element.get("_selected", element.get("initial_options", []))
        )
    elif "value" in element:
        action["value"] = element["value"]
    container = {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False}
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    return action, container


def all_text(blocks: list[dict[str, Any]] | None) -> str:
    """Every piece of text in a list of blocks, joined, for assertions on what a user sees."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(out)
