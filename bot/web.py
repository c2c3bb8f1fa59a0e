"""HTTP serving: Bolt's WSGI adapter at /slack/events, plus /healthz, under gunicorn."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.services import Services
from bot.slack import create_app
from storage.db import Database

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def wsgi_app(app: App, db: Database) -> WSGIApp:
    """Route `GET /healthz` ourselves; everything else goes to Bolt (404 off /slack/events)."""
    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            try:
                db.ping()
                status, body = "200 OK", {"status": "ok", "database": "ok"}
            except Exception:
                log.exception("health check: database unreachable")
                status, body = "503 Service Unavailable", {"status": "error", "database": "unreachable"}
            payload = json.dumps(body).encode()
            start_response(
                status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
            )
            return [payload]
        return slack(environ, start_response)

    return application


def create_wsgi_app(services: Services, listener_executor: Executor | None = None) -> WSGIApp:
    return wsgi_app(create_app(services, http=True, listener_executor=listener_executor), services.db)


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured in code; each worker builds its own app after the fork."""

    def __init__(self, factory: Callable[[], WSGIApp], options: dict[str, Any]) -> None:
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return self._factory()


def serve(factory: Callable[[], WSGIApp], *, port: int, workers: int) -> None:
    GunicornServer(
        factory,
        {
            "bind": f"0.0.0.0:{port}",
            "workers": workers,
            # Bolt runs listeners on threads after the ack; gthread keeps slow Slack calls
            # from blocking other requests in the same worker.
            "worker_class": "gthread",
            "threads": 8,
            "timeout": 30,
            "accesslog": "-",
        },
    ).run()
