"""One log format for every process the bot runs (the CLI, gunicorn's master and workers)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings


def configure_logging(level: int = logging.INFO, *, migration_steps: bool = False) -> None:
    """Log at `level` to stderr; Alembic's lines (each plugin, each migration step) only with
    `migration_steps` (LOG_LEVEL set explicitly), its warnings always.

    Does nothing to a process whose logging is already configured (a test run, say).
    """
    root = logging.getLogger()
    if root.handlers:
        return
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.NOTSET if migration_steps else max(level, logging.WARNING))


def configure_logging_for(settings: Settings, *, long_running: bool) -> None:
    """At LOG_LEVEL when set (Alembic's steps included), else INFO when `long_running` and
    WARNING for a command that answers and exits."""
    configure_logging(
        settings.logging_level(long_running=long_running), migration_steps=settings.log_level is not None
    )
