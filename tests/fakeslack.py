"""A fake Slack Web API on loopback that records every call the bot makes.

The bot's real `WebClient` talks to it over HTTP (`SLACK_API_URL`), so tests assert on
what was actually sent. It keeps posted messages (with `chat.update` applied) so tests
can build button clicks from the blocks the bot really posted, as Slack would.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TEAM_ID = "T0TEAM"
BOT_USER_ID = "UBOT"
# What an install from manifest.yml grants.
GRANTED_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "im:write",
    "files:write",
    "links:read",
    "links:write",
)


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 resets connections when the bot posts many cards at once.
    request_queue_size = 128


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]

    @property
    def token(self) -> str | None:
        """The token the call carried (slack_sdk sends it as a Bearer header)."""
        auth = next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


@dataclass
class Install:
    """A workspace's install of the app, as Slack's OAuth hands it out (`oauth.v2.access`)."""

    team_id: str
    team_name: str
    installer: str
    # Seconds the bot token lives (token rotation on), or None: it never expires.
    expires_in: int | None = None


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    channel: str | None = None  # only calls to this channel, when set
    needed: str | None = None  # for missing_scope: the scope Slack says the call needs


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = {}
        self._faults: dict[str, list[Fault]] = {}
        # Seconds a method waits before answering (after it took effect, as a slow Slack does).
        self.delays: dict[str, float] = {}
        # Where apps.connections.open sends Socket Mode clients (set by the Socket Mode test).
        self.socket_url: str | None = None
        # The bot token's scopes, sent as auth.test's `x-oauth-scopes` header, as Slack does.
        self.scopes: list[str] = list(GRANTED_SCOPES)
        # When set, auth.test always answers `ok: false` with this error (e.g. "invalid_auth"),
        # unlike `fail`, which counts calls: for bots in another process that call it often.
        self.auth_error: str | None = None
        # Files by id: what files.getUploadURLExternal handed out, the bytes uploaded to its URL,
        # and where files.completeUploadExternal shared it.
        self.files: dict[str, dict[str, Any]] = {}
        self._file_ids = itertools.count(1)
        # OAuth: the codes an installer brings back from Slack, the bot tokens and refresh tokens
        # handed out (each to its workspace), and those revoked by an uninstall.
        self.codes: dict[str, Install] = {}
        self.tokens: dict[str, str] = {}
        self.refresh_tokens: dict[str, Install] = {}
        self.revoked: set[str] = set()
        self._grants = itertools.count(1)
        # Link previews by (channel, message ts): {url: unfurl}, as chat.unfurl attached them.
        self.unfurls: dict[tuple[str, str], dict[str, Any]] = {}
        self._ts = itertools.count(1)
        self._lock = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- configuration -------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        tz: str = "UTC",
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": user_id.lower(),
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_bot": is_bot,
            "deleted": deleted,
            "tz": tz,
        }

    def add_channel(
        self, channel_id: str, name: str, *, is_member: bool = True, members: list[str] | None = None
    ) -> None:
        """A channel; `members` are its members' ids (add them with `add_user` too)."""
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_member": is_member,
            "is_channel": True,
        }
        self.members[channel_id] = list(members or [])

    def fail(
        self,
        method: str,
        error: str = "internal_error",
        *,
        times: int = 1,
        status: int = 200,
        channel: str | None = None,
        needed: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to `channel`, if given) answer `ok: false`
        (with `needed`, as Slack answers missing_scope)."""
        self._faults.setdefault(method, []).extend(
            Fault(status=status, error=error, channel=channel, needed=needed) for _ in range(times)
        )

    def slow(self, method: str, seconds: float) -> None:
        """Make `method` answer `seconds` late, after it took effect (0 for no delay)."""
        self.delays[method] = seconds

    def rate_limit(
        self, method: str, *, retry_after: int = 0, times: int = 1, channel: str | None = None
    ) -> None:
        """Make the next `times` calls of `method` (to `channel`) answer HTTP 429 with Retry-After."""
        self._faults.setdefault(method, []).extend(
            Fault(status=429, error="ratelimited", headers={"Retry-After": str(retry_after)}, channel=channel)
            for _ in range(times)
        )

    def _take_fault(self, method: str, args: dict[str, Any]) -> Fault | None:
        faults = self._faults.get(method) or []
        for i, fault in enumerate(faults):
            if fault.channel is None or fault.channel == args.get("channel"):
                return faults.pop(i)
        return None

    def authorize(
        self,
        team_id: str,
        team_name: str = "Team",
        *,
        installer: str = "UINSTALLER",
        expires_in: int | None = None,
    ) -> str:
        """The code Slack gives the installer's browser once they click Allow for `team_id`."""
        code = f"code-{team_id}-{next(self._grants)}"
        self.codes[code] = Install(team_id, team_name, installer, expires_in)
        return code

    def tokens_of(self, team_id: str) -> list[str]:
        """The bot tokens handed out to a workspace, oldest first."""
        with self._lock:
            return [token for token, team in self.tokens.items() if team == team_id]

    def revoke(self, team_id: str) -> None:
        """The workspace uninstalled the app: its tokens stop working, as Slack's do."""
        with self._lock:
            self.revoked.update(self.tokens_of(team_id))

    def grant(self, install: Install) -> dict[str, Any]:
        token = f"xoxb-{install.team_id}-{next(self._grants)}"
        self.tokens[token] = install.team_id
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": "A1",
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(self.scopes),
            "bot_user_id": BOT_USER_ID,
            "team": {"id": install.team_id, "name": install.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": install.installer},
        }
        if install.expires_in is not None:
            refresh = f"xoxe-{install.team_id}-{next(self._grants)}"
            self.refresh_tokens[refresh] = install
            answer |= {"refresh_token": refresh, "expires_in": install.expires_in}
        return answer

    def _oauth_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("grant_type") == "refresh_token":
            install = self.refresh_tokens.pop(args.get("refresh_token", ""), None)
        else:
            install = self.codes.pop(args.get("code", ""), None)
        if install is None:
            return {"ok": False, "error": "invalid_code" if "code" in args else "invalid_refresh_token"}
        return self.grant(install)

    # -- reading what the bot sent --------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Wait until at least `count` matching calls arrived (listeners run after the ack)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(
                        f"expected {count} {method} call(s), got {len(found)}; calls: {seen}"
                    )
                self._lock.wait(remaining)

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            return self.messages[(channel, ts)]

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Replies in a thread, oldest first, as currently shown (updates applied)."""
        with self._lock:
            return [
                m
                for (ch, _), m in sorted(self.messages.items(), key=lambda kv: float(kv[0][1]))
                if ch == channel and m.get("thread_ts") == thread_ts
            ]

    def shared_files(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Files shared into a channel (into one thread, if given), with their uploaded bytes."""
        with self._lock:
            return [
                f
                for f in self.files.values()
                if f.get("channel") == channel and (thread_ts is None or f.get("thread_ts") == thread_ts)
            ]

    # -- serving -------------------------------------------------------------------------
    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        shared = []
        for item in json.loads(args.get("files") or "[]"):
            found = self.files.get(item.get("id", ""))
            if found is None or "content" not in found:
                return {"ok": False, "error": "file_not_found"}
            found.update(
                title=item.get("title"), channel=args.get("channel_id"), thread_ts=args.get("thread_ts")
            )
            shared.append({"id": found["id"], "name": found["name"], "title": found["title"]})
        if args.get("channel_id"):
            # Sharing posts a message carrying the files, in the thread when given.
            ts = f"{1700000000 + next(self._ts)}.000100"
            msg: dict[str, Any] = {"channel": args["channel_id"], "ts": ts, "files": shared, "text": ""}
            if args.get("thread_ts"):
                msg["thread_ts"] = args["thread_ts"]
            self.messages[(args["channel_id"], ts)] = msg
        return {"ok": True, "files": shared}

    def _answer(self, method: str, args: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        if token in self.revoked:
            return {"ok": False, "error": "token_revoked"}
        if method == "oauth.v2.access":
            return self._oauth_access(args)
        if method == "auth.test":
            if self.auth_error is not None:
                return {"ok": False, "error": self.auth_error}
            # A token handed out by an install belongs to its workspace; any other to TEAM_ID.
            team = self.tokens.get(token or "", TEAM_ID)
            return {"ok": True, "team_id": team, "user_id": BOT_USER_ID, "bot_id": "BBOT", "team": "Team"}
        if method == "apps.connections.open":
            if self.socket_url is None:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method == "chat.postMessage":
            ts = f"{1700000000 + next(self._ts)}.000100"
            msg = {**args, "ts": ts}
            if "blocks" in msg and isinstance(msg["blocks"], str):
                msg["blocks"] = json.loads(msg["blocks"])
            self.messages[(args["channel"], ts)] = msg
            return {"ok": True, "channel": args["channel"], "ts": ts, "message": msg}
        if method == "chat.update":
            key = (args["channel"], args["ts"])
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            blocks = args.get("blocks")
            self.messages[key] = {
                **self.messages[key],
                **args,
                "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
            }
            return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        if method in ("conversations.history", "conversations.replies"):
            channel, thread = args.get("channel"), args.get("ts")
            found = [
                m
                for (ch, ts), m in sorted(self.messages.items(), key=lambda kv: -float(kv[0][1]))
                if ch == channel and (thread is None or m.get("thread_ts") == thread or ts == thread)
            ]
            return {"ok": True, "messages": found[: int(args.get("limit") or 100)]}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._file_ids):08d}"
            self.files[file_id] = {"id": file_id, "name": args.get("filename"), "length": int(args["length"])}
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            return self._complete_upload(args)
        if method == "chat.unfurl":
            if not (args.get("channel") and args.get("ts") and isinstance(args.get("unfurls"), dict)):
                return {"ok": False, "error": "invalid_arguments"}
            # A later call for the same message changes its previews rather than adding more.
            self.unfurls.setdefault((args["channel"], args["ts"]), {}).update(args["unfurls"])
            return {"ok": True}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method == "users.info":
            user = self.users.get(args.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.members":
            if args.get("channel") not in self.members:
                return {"ok": False, "error": "channel_not_found"}
            members = self.members[args["channel"]]
            start = int(args.get("cursor") or 0)
            limit = int(args.get("limit") or 100)
            page = members[start : start + limit]
            more = start + limit < len(members)
            return {
                "ok": True,
                "members": page,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            }
        if method == "conversations.open":
            user = str(args.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": f"D{user}"}}
        if method == "conversations.info":
            channel = self.channels.get(args.get("channel", ""))
            return (
                {"ok": True, "channel": channel} if channel else {"ok": False, "error": "channel_not_found"}
            )
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return {
                "ok": True,
                "view": {"id": "V1", **(args.get("view") if isinstance(args.get("view"), dict) else {})},
            }
        return {"ok": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.startswith("/upload/"):
                    self._upload(body)
                    return
                raw = body.decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    args = json.loads(raw) if raw else {}
                else:
                    args = dict(parse_qsl(raw))
                for key in ("blocks", "view", "unfurls"):
                    if isinstance(args.get(key), str):
                        args[key] = json.loads(args[key])
                if self.path.startswith("/api/"):
                    method = self.path[len("/api/") :].split("?")[0]
                else:
                    method = "response_url"
                    args = {**args, "path": self.path}
                with fake._lock:
                    call = Call(method, args, dict(self.headers))
                    fake.calls.append(call)
                    fault = fake._take_fault(method, args)
                    body = (
                        {"ok": False, "error": fault.error}
                        if fault
                        else fake._answer(method, args, call.token)
                    )
                    if fault and fault.needed:
                        body["needed"] = fault.needed
                    headers = dict(fault.headers) if fault else {}
                    if method == "auth.test" and body.get("ok"):
                        headers["x-oauth-scopes"] = ",".join(fake.scopes)
                    fake._lock.notify_all()
                delay = fake.delays.get(method, 0)
                if delay:
                    time.sleep(delay)
                payload = json.dumps(body).encode()
                self.send_response(fault.status if fault else 200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _upload(self, content: bytes) -> None:
                """The upload URL files.getUploadURLExternal handed out: raw bytes, answered as
                files.slack.com does (200 and a short text)."""
                file_id = self.path[len("/upload/") :]
                with fake._lock:
                    fake.calls.append(
                        Call("upload", {"file_id": file_id, "size": len(content)}, dict(self.headers))
                    )
                    fault = fake._take_fault("upload", {})
                    found = fake.files.get(file_id)
                    if found is not None and fault is None:
                        found["content"] = content
                    fake._lock.notify_all()
                if fault is not None:
                    status = fault.status if fault.status != 200 else 500
                else:
                    status = 200 if found is not None else 404
                reply = b"OK - " + str(len(content)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        return Handler
