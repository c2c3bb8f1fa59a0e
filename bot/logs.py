"""One log format for every process the bot runs (the CLI, gunicorn's master and workers).

Human-readable lines by default; with LOG_FORMAT=json, one JSON object per line (time, level,
logger, message, and the workspace, delivery and kind the line is about where known), for log
pipelines that parse rather than grep. What a line is about comes from the record's `extra`
or from `log_context`, set around the work of one request or one delivery.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What a JSON line says it is about, when known: from `extra={...}` or the `log_context`.
CONTEXT_FIELDS = ("team_id", "delivery_id", "kind")

_context: ContextVar[dict[str, Any] | None] = ContextVar("log_context", default=None)


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Lines logged by this thread meanwhile say what they are about (`CONTEXT_FIELDS`)."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; also gunicorn's lines (bot/gunicorn_conf.py)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _context.get() or {}
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is None:
                value = context.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def configure_logging(
    level: int = logging.INFO, *, migration_steps: bool = False, json_lines: bool = False
) -> None:
    """Log at `level` to stderr, as text or (`json_lines`) JSON; Alembic's lines (each plugin,
    each migration step) only with `migration_steps` (LOG_LEVEL set explicitly), its warnings
    always.

    Does nothing to a process whose logging is already configured (a test run, say).
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.NOTSET if migration_steps else max(level, logging.WARNING))


def configure_logging_for(settings: Settings, *, long_running: bool) -> None:
    """At LOG_LEVEL when set (Alembic's steps included), else INFO when `long_running` and
    WARNING for a command that answers and exits; in LOG_FORMAT."""
    configure_logging(
        settings.logging_level(long_running=long_running),
        migration_steps=settings.log_level is not None,
        json_lines=settings.log_format == "json",
    )
