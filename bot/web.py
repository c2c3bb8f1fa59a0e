"""HTTP serving: Bolt's WSGI adapter at /slack/events, plus /healthz, under gunicorn."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qs

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import mlflow_webhook
from bot.gunicorn_conf import SCHEDULER_IN_MASTER
from bot.logs import configure_logging_for
from bot.metrics import ACK_SECONDS, exposition
from bot.runtime import start_worker
from bot.services import Services, open_database
from bot.settings import Settings, load_settings
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


def _request_kind(environ: dict[str, Any]) -> str:
    """command, interaction or event, from the body (read here, and handed on to Bolt)."""
    if not environ.get("CONTENT_LENGTH"):
        return "other"  # Slack always says how long; a body of unknown length is left to Bolt
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    environ["wsgi.input"] = io.BytesIO(body)
    if body.startswith(b"{"):
        return "event"
    form = parse_qs(body.decode(errors="replace"))
    return "interaction" if "payload" in form else "command" if "command" in form else "other"


def wsgi_app(services: Services) -> WSGIApp:
    """Route `GET /healthz` (and `HEAD`) and `GET /metrics` ourselves; everything else goes to
    Bolt (404 off /slack/events), timed from receipt to answer: with `process_before_response`,
    Bolt answers once the listener has acked and returned."""
    slack = SlackRequestHandler(create_app(services, http=True), path="/slack/events")
    settings = services.settings
    scraped = exposition.registry(services.db, oauth=settings.oauth) if settings.metrics_enabled else None

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO")
        if path == "/slack/events" and method == "POST":
            started = time.perf_counter()
            kind = _request_kind(environ)
            try:
                return slack(environ, start_response)
            finally:
                ACK_SECONDS.labels(kind).observe(time.perf_counter() - started)
        if path == "/metrics" and method == "GET" and scraped is not None:
            payload, content_type = exposition.render(scraped)
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
            return [payload]
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, body = health(services.db, services.settings)
            payload = json.dumps(body).encode()
            reason = "OK" if status == 200 else "Service Unavailable"
            start_response(
                f"{status} {reason}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            # HEAD: GET's headers, no body (gunicorn warns about, and drops, body bytes sent to HEAD).
            return [] if method == "HEAD" else [payload]
        if environ.get("PATH_INFO") == mlflow_webhook.PATH and method == "POST":
            return mlflow_webhook.respond(*mlflow_webhook.handle(services, environ), start_response)
        return slack(environ, start_response)

    return application


def answers_pool(settings: Settings) -> Executor:
    return ThreadPoolExecutor(max_workers=settings.answer_threads, thread_name_prefix="answers")


def create_wsgi_app(settings: Settings) -> WSGIApp:
    """One gunicorn worker's app, built after the fork: its database pool and, unless
    WEB_DELIVERS is off, its delivery worker."""
    db = open_database(settings)
    if settings.web_delivers:
        start_worker(settings, db)
    app = wsgi_app(Services(settings=settings, db=db, answers=answers_pool(settings)))
    log.info(
        "web worker %s ready; %s",
        os.getpid(),
        "it delivers too" if settings.web_delivers else "deliveries are left to clock (WEB_DELIVERS=false)",
    )
    return app


def application() -> WSGIApp:
    """gunicorn's app factory (`bot.web:application()`), called in each worker after the fork."""
    settings = load_settings()
    configure_logging_for(settings, long_running=True)
    return create_wsgi_app(settings)


def _metrics_directory(given: str | None) -> str:
    """Where gunicorn's processes keep their counts, for `/metrics` to add them up: the
    directory given, rid of an earlier run's files (their counts would be added in), else a
    new one."""
    if not given:
        return tempfile.mkdtemp(prefix="aiteam-metrics-")
    directory = Path(given)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return given


def serve(settings: Settings, *, scheduler: bool) -> NoReturn:
    """Replace this process with a fresh gunicorn master serving the bot (see bot/gunicorn_conf.py).

    Settings come to the workers through the environment, as they came here; the master gets
    only what it needs, on its command line. With `scheduler`, the master also runs the
    scheduler (`python -m bot` over HTTP); `web` never does.
    """
    env = {
        **os.environ,
        SCHEDULER_IN_MASTER: "1" if scheduler else "0",
        # gunicorn's own lines in the same format as the bot's (bot/gunicorn_conf.py).
        "LOG_FORMAT": settings.log_format,
    }
    if settings.metrics_enabled:
        env[exposition.MULTIPROC_DIR] = _metrics_directory(env.get(exposition.MULTIPROC_DIR))
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:bot.gunicorn_conf",
        "--bind",
        f"{settings.bind_host}:{settings.port}",
        "--workers",
        str(settings.web_concurrency),
        "--threads",
        str(settings.web_threads),
        # gunicorn's own lines (starting, listening, booting a worker) at LOG_LEVEL, INFO unset.
        "--log-level",
        (settings.log_level or "INFO").lower(),
        "bot.web:application()",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)
