"""Checks run once before serving, so a misconfiguration is one line naming the variable.

They run in the main process, before gunicorn forks its workers or Socket Mode connects: a
worker that fails while booting makes gunicorn print tracebacks and exit 3, once per worker.
`python -m bot doctor` runs the same checks and reports each one.
"""

from __future__ import annotations

import errno
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from storage.db import Database

# slack_sdk logs undecodable answers and retries itself; the one line we print says it all.
_quiet = logging.getLogger("bot.preflight.web_api")
_quiet.propagate = False
_quiet.addHandler(logging.NullHandler())

SLACK_TIMEOUT_SECONDS = 10
DATABASE_TIMEOUT_SECONDS = 10


class StartupError(Exception):
    """Why the bot cannot start, in one line that names the variable to fix."""


class SlackUnreachable(StartupError):
    """No answer from the Web API at SLACK_API_URL: the tokens were not even tried."""


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot token belongs to, from `auth.test`."""

    team_id: str
    team: str
    user_id: str
    # From the `x-oauth-scopes` header; None when Slack did not send it.
    scopes: frozenset[str] | None


def _first_line(text: str, *, secret: str | None = None) -> str:
    line = (text.strip().splitlines() or ["unknown error"])[0].strip()
    return line.replace(secret, "***") if secret else line


def check_database(url: str) -> None:
    """Connect once; raise StartupError naming DATABASE_URL (never its password)."""
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    path = parsed.database or ""
    if sqlite and path not in ("", ":memory:") and not path.startswith("file:"):
        folder = Path(path).absolute().parent
        if not folder.is_dir():
            raise StartupError(
                f"DATABASE_URL names the SQLite file {path}, but the directory {folder} does not exist"
            )
    kwargs: dict[str, Any] = {} if sqlite else {"connect_args": {"connect_timeout": DATABASE_TIMEOUT_SECONDS}}
    db = Database(url, **kwargs)
    try:
        db.ping()
    except SQLAlchemyError as error:
        reason = _first_line(str(getattr(error, "orig", None) or error), secret=parsed.password)
        where = parsed.render_as_string(hide_password=True)
        raise StartupError(f"cannot reach the database at DATABASE_URL {where} ({reason})") from None
    finally:
        db.dispose()


def check_port(host: str, port: int) -> None:
    """Bind BIND_HOST:PORT once, as gunicorn will, and let go; raise StartupError if it can't.

    gunicorn, given a busy port, logs five failed attempts a second apart and exits 1.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise StartupError(f"BIND_HOST {host} is not an address to listen on ({error.strerror})") from None
    with socket.socket(family, kind, proto) as probe:
        # As gunicorn does: a port left in TIME_WAIT by the previous run is free to take.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise StartupError(f"port {port} is already in use (set PORT to another)") from None
            raise StartupError(
                f"cannot listen on {host} port {port} ({error.strerror}; set PORT or BIND_HOST)"
            ) from None


def web_api_client(settings: Settings, token: str | None) -> WebClient:
    """A plain client on SLACK_API_URL with a short timeout and no retries, for checks."""
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        logger=_quiet,
        retry_handlers=[],
    )


def _unreachable(settings: Settings, error: Exception) -> SlackUnreachable:
    reason = getattr(error, "reason", None) or error
    text = getattr(reason, "strerror", None) or str(reason) or type(error).__name__
    return SlackUnreachable(
        f"cannot reach Slack at SLACK_API_URL {settings.slack_api_url} ({_first_line(text)})"
    )


def _refusal(error: SlackApiError) -> str:
    data = error.response.data if error.response is not None else None
    if isinstance(data, dict) and data.get("error") and not str(data["error"]).startswith("Received"):
        return str(data["error"])
    status = error.response.status_code if error.response is not None else "?"
    return f"HTTP {status}, not a Slack Web API answer"


def _scopes(headers: dict[str, Any]) -> frozenset[str] | None:
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else value
            return frozenset(s.strip() for s in str(text).split(",") if s.strip())
    return None


def verify_bot_token(
    settings: Settings, token: str | None = None, *, name: str = "SLACK_BOT_TOKEN"
) -> BotIdentity:
    """`auth.test` with `token` (SLACK_BOT_TOKEN by default; `name` says which in messages);
    raise StartupError when Slack refuses it or can't be reached."""
    try:
        response = web_api_client(settings, token or settings.secret("slack_bot_token")).auth_test()
    except SlackApiError as error:
        raise StartupError(f"Slack rejected {name} ({_refusal(error)})") from None
    except (OSError, SlackClientError) as error:
        raise _unreachable(settings, error) from None
    return BotIdentity(
        team_id=str(response.get("team_id", "")),
        team=str(response.get("team", "")),
        user_id=str(response.get("user_id", "")),
        scopes=_scopes(dict(response.headers or {})),
    )


def verify_app_token(settings: Settings) -> None:
    """`apps.connections.open` with SLACK_APP_TOKEN, as Socket Mode will; it only hands out a URL."""
    try:
        web_api_client(settings, None).apps_connections_open(app_token=settings.secret("slack_app_token"))
    except SlackApiError as error:
        raise StartupError(f"SLACK_APP_TOKEN was refused ({_refusal(error)})") from None
    except (OSError, SlackClientError) as error:
        raise _unreachable(settings, error) from None
