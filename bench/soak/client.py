"""Slack's side of the conversation: signed commands, clicks built from the blocks the bot posted,
and modal submissions, each logged with its answer for the checks."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from tests.harness import block_action

# Longer than Slack waits (3 s), so a late ack is measured rather than cut off.
REQUEST_TIMEOUT = 10.0


@dataclass
class Sent:
    """One request as Slack sent it, and how the bot answered."""

    at: float  # time.time() when it was sent
    kind: str  # "propose", "submit", "review_approve", "standup_answer", …
    team_id: str
    user: str
    key: str  # what it is about, for the checks: a hypothesis, "EXP-3:technical", …
    status: int  # 0 when no answer came (connection refused or reset, time-out)
    ms: float
    answer: str  # the ack's text, if any
    response_path: str  # where later private answers to it arrive at the fake Slack
    echo: int = 0  # >0: a repeat of an earlier request (a double click), sent at once

    @property
    def refused_in_ack(self) -> bool:
        return is_refusal(self.answer)


# The bot opens a refusal with one of these; a success may carry a warning further on (a metric
# that made decisions stale is stored, and says so after its :white_check_mark:).
REFUSALS = (":warning:", ":x:")


def is_refusal(text: str) -> bool:
    return text.startswith(REFUSALS)


class SlackSide:
    def __init__(self, bot_url: str, slack_url: str, secret: str) -> None:
        self.bot_url = bot_url
        self.slack_url = slack_url
        self.verifier = SignatureVerifier(secret)
        self.log: list[Sent] = []
        self._lock = threading.Lock()
        self._paths = itertools.count(1)
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _post(
        self,
        body: str,
        content_type: str,
        *,
        kind: str,
        team_id: str,
        user: str,
        key: str,
        response_path: str,
        echo: int = 0,
    ) -> Sent:
        ts = str(int(time.time()))
        headers = {
            # A fresh connection per request, as the load benchmark's clients do not: reusing one
            # that gunicorn closed as idle (keep-alive 2 s) at that moment fails at once with no
            # answer, a race of the client's own making that would read as the bot's non-200.
            "Connection": "close",
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
        }
        at, start = time.time(), time.perf_counter()
        answer = ""
        try:
            reply = self._session().post(
                f"{self.bot_url}/slack/events", data=body.encode(), headers=headers, timeout=REQUEST_TIMEOUT
            )
            status = reply.status_code
            if reply.text:
                try:
                    data = json.loads(reply.text)
                    answer = str(data.get("text", "")) if isinstance(data, dict) else ""
                    if isinstance(data, dict) and data.get("response_action") == "errors":
                        # A form refused under its fields: nothing was stored.
                        answer = ":warning: " + json.dumps(data.get("errors"))
                except ValueError:
                    answer = reply.text[:200]
        except requests.RequestException:
            status = 0
            self._local.session = None
        sent = Sent(
            at,
            kind,
            team_id,
            user,
            key,
            status,
            (time.perf_counter() - start) * 1000,
            answer,
            response_path,
            echo,
        )
        with self._lock:
            self.log.append(sent)
        return sent

    def new_path(self) -> str:
        return f"/response/{next(self._paths)}"

    # -- what people do -------------------------------------------------------------------------
    def command(
        self,
        team_id: str,
        channel: str,
        user: str,
        command: str,
        text: str,
        *,
        kind: str,
        key: str = "",
        trigger: str | None = None,
    ) -> Sent:
        path = self.new_path()
        form = {
            "token": "legacy",
            "team_id": team_id,
            "team_domain": team_id.lower(),
            "channel_id": channel,
            "channel_name": channel.lower(),
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0SOAK",
            "is_enterprise_install": "false",
            "response_url": f"{self.slack_url}{path}",
            "trigger_id": trigger or f"trigger-{time.monotonic_ns()}",
        }
        return self._post(
            urlencode(form),
            "application/x-www-form-urlencoded",
            kind=kind,
            team_id=team_id,
            user=user,
            key=key,
            response_path=path,
        )

    def click_payload(
        self,
        team_id: str,
        channel: str,
        message: dict[str, Any],
        action_id: str,
        *,
        user: str,
        value: str | None = None,
        selected: list[str] | None = None,
        trigger: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        """The block_actions payload Slack sends for a click on `message` as the user sees it."""
        action, container = block_action(
            message, channel=channel, action_id=action_id, value=value, selected=selected or []
        )
        path = self.new_path()
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": team_id},
            "api_app_id": "A0SOAK",
            "token": "legacy",
            "container": container,
            "trigger_id": trigger or f"trigger-{time.monotonic_ns()}",
            "team": {"id": team_id, "domain": team_id.lower()},
            "channel": {"id": channel, "name": channel.lower()},
            "message": {**message, "type": "message"},
            "response_url": f"{self.slack_url}{path}",
            "actions": [action],
        }
        return payload, path

    def interact(self, payload: dict[str, Any], path: str, *, kind: str, key: str, echo: int = 0) -> Sent:
        return self._post(
            urlencode({"payload": json.dumps(payload)}),
            "application/x-www-form-urlencoded",
            kind=kind,
            team_id=payload["team"]["id"],
            user=payload["user"]["id"],
            key=key,
            response_path=path,
            echo=echo,
        )

    def submit_view(
        self, team_id: str, user: str, view: dict[str, Any], values: dict[str, Any], *, kind: str, key: str
    ) -> Sent:
        payload = {
            "type": "view_submission",
            "team": {"id": team_id, "domain": team_id.lower()},
            "user": {"id": user, "username": user.lower(), "team_id": team_id},
            "api_app_id": "A0SOAK",
            "token": "legacy",
            "trigger_id": f"trigger-{time.monotonic_ns()}",
            "view": {
                **view,
                "id": "V1",
                "team_id": team_id,
                "state": {"values": values},
                "hash": "h",
                "private_metadata": view.get("private_metadata", ""),
            },
        }
        return self.interact(payload, "", kind=kind, key=key)

    # -- what Slack shows -----------------------------------------------------------------------
    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        try:
            reply = self._session().get(
                f"{self.slack_url}/soak/message", params={"channel": channel, "ts": ts}, timeout=5
            )
        except requests.RequestException:
            return None
        return reply.json() if reply.status_code == 200 else None

    def wait_view(self, trigger: str, timeout: float = 20.0) -> dict[str, Any] | None:
        """The modal the bot opened for `trigger`, once it has (it opens after the ack)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._session().get(f"{self.slack_url}/soak/view", params={"trigger": trigger}, timeout=5)
            if reply.status_code == 200:
                return dict(reply.json())
            time.sleep(0.2)
        return None

    def state(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.slack_url}/soak/state", timeout=60).json())

    def set_faults(self, faults: dict[str, Any]) -> None:
        requests.put(f"{self.slack_url}/soak/faults", data=json.dumps(faults), timeout=10)
