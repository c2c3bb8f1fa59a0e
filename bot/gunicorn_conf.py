"""gunicorn's configuration for `python -m bot web` (and `run` over HTTP), read from settings.

`python -m bot` checks and migrates first, then replaces itself with a fresh gunicorn master
(`bot.web.serve`), so the master holds none of the bot's libraries or the migration's: each
worker imports the bot after the fork and builds its own database pool and delivery worker.
"""

from __future__ import annotations

import os
from typing import Any

from bot.settings import SCHEDULER_IN_MASTER, load_settings

_settings = load_settings()

bind = f"{_settings.bind_host}:{_settings.port}"
workers = _settings.web_concurrency
# Listeners answer in the request's own thread (parse, one transaction, ack), so WEB_THREADS is
# how many requests a worker serves at once.
worker_class = "gthread"
threads = _settings.web_threads
timeout = 30
accesslog = "-"
# gunicorn 22+ opens a control socket in the home directory; the bot needs none.
control_socket_disable = True


def when_ready(_server: Any) -> None:
    if os.environ.get(SCHEDULER_IN_MASTER) == "1":
        from bot.scheduler import make_scheduler
        from bot.services import open_database

        make_scheduler(_settings, open_database(_settings), blocking=False).start()
