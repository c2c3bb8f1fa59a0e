"""gunicorn's configuration for `python -m bot web` (and `run` over HTTP).

`python -m bot` checks and migrates first, then replaces itself with a fresh gunicorn master
(`bot.web.serve`), passing the bind address, workers and threads from settings on gunicorn's
command line. The master imports nothing of the bot (not even its settings) unless it runs the
scheduler: each worker imports the bot after the fork and builds its own database pool and
delivery worker.
"""

from __future__ import annotations

import os
from typing import Any

# Set by `python -m bot` (run, over HTTP) for gunicorn's master to run the scheduler, once.
SCHEDULER_IN_MASTER = "AITEAM_SCHEDULER_IN_MASTER"

# Listeners answer in the request's own thread (parse, one transaction, ack), so the threads
# (WEB_THREADS) are how many requests a worker serves at once.
worker_class = "gthread"
timeout = 30
accesslog = "-"
# gunicorn 22+ opens a control socket in the home directory; the bot needs none.
control_socket_disable = True


if os.environ.get("LOG_FORMAT") == "json":
    # gunicorn's own lines (and its access log) as JSON too: its default formatter, replaced.
    logconfig_dict = {"formatters": {"generic": {"()": "bot.logs.JsonFormatter"}}}


def child_exit(_server: Any, worker: Any) -> None:
    """A worker died: the metrics kept in memory-mapped files for it are handed back."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def when_ready(_server: Any) -> None:
    if os.environ.get(SCHEDULER_IN_MASTER) == "1":
        import logging

        from bot.logs import configure_logging_for
        from bot.scheduler import make_scheduler
        from bot.services import open_database
        from bot.settings import load_settings

        settings = load_settings()
        # gunicorn configures only its own loggers: without this the scheduler's lines were lost.
        configure_logging_for(settings, long_running=True)
        make_scheduler(settings, open_database(settings), blocking=False).start()
        logging.getLogger("bot").info(
            "scheduler running in gunicorn's master (pid %s); each web worker runs a delivery worker",
            os.getpid(),
        )
