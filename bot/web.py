"""HTTP serving: Bolt's WSGI adapter at /slack/events, plus /healthz, under gunicorn."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.runtime import start_worker
from bot.services import Services, open_database
from bot.settings import Settings
from bot.slack import create_app
from storage.db import Database
from storage.types import utcnow
from workflow import delivery

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def health(db: Database, settings: Settings) -> tuple[int, dict[str, Any]]:
    """The database answers, and deliveries are not backing up past the thresholds in settings."""
    try:
        with db.read() as session:
            backlog = delivery.backlog(session, now=utcnow())
    except Exception:
        log.exception("health check: database unreachable")
        return 503, {"status": "error", "database": "unreachable"}
    age = backlog.oldest_age or timedelta(0)
    body: dict[str, Any] = {
        "status": "ok",
        "database": "ok",
        "deliveries": {
            "undelivered": backlog.undelivered,
            "oldest_age_seconds": round(age.total_seconds(), 1),
        },
    }
    problems = []
    if backlog.undelivered > settings.health_max_backlog:
        problems.append(
            f"{backlog.undelivered} undelivered (HEALTH_MAX_BACKLOG={settings.health_max_backlog})"
        )
    if age.total_seconds() > settings.health_max_delivery_age_seconds:
        problems.append(
            f"oldest undelivered is {age.total_seconds():.0f} s old "
            f"(HEALTH_MAX_DELIVERY_AGE_SECONDS={settings.health_max_delivery_age_seconds:g})"
        )
    if problems:
        body |= {"status": "degraded", "problems": problems}
        return 503, body
    return 200, body


def wsgi_app(services: Services) -> WSGIApp:
    """Route `GET /healthz` ourselves; everything else goes to Bolt (404 off /slack/events)."""
    slack = SlackRequestHandler(create_app(services, http=True), path="/slack/events")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            status, body = health(services.db, services.settings)
            payload = json.dumps(body).encode()
            reason = "OK" if status == 200 else "Service Unavailable"
            start_response(
                f"{status} {reason}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        return slack(environ, start_response)

    return application


def answers_pool(settings: Settings) -> Executor:
    return ThreadPoolExecutor(max_workers=settings.answer_threads, thread_name_prefix="answers")


def create_wsgi_app(settings: Settings) -> WSGIApp:
    """One gunicorn worker's app, built after the fork: its database pool and delivery worker."""
    db = open_database(settings)
    start_worker(settings, db)
    return wsgi_app(Services(settings=settings, db=db, answers=answers_pool(settings)))


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


def serve(settings: Settings) -> None:
    GunicornServer(
        lambda: create_wsgi_app(settings),
        {
            "bind": f"0.0.0.0:{settings.port}",
            "workers": settings.web_concurrency,
            # Listeners answer in the request's own thread (parse, one transaction, ack), so
            # WEB_THREADS is how many requests a worker serves at once.
            "worker_class": "gthread",
            "threads": settings.web_threads,
            "timeout": 30,
            "accesslog": "-",
        },
    ).run()
