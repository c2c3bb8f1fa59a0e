"""Serving the metrics: `GET /metrics` on `web` (every gunicorn worker's counts added up) and
METRICS_PORT on `clock`, plus what is read from the database at each scrape."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import timedelta

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from storage.db import Database
from storage.types import utcnow
from workflow import delivery, workspaces

log = logging.getLogger(__name__)

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


class _FromDatabase(Collector):
    """The backlog and the installed workspaces, read when scraped: the same from any process."""

    def __init__(self, db: Database, *, oauth: bool) -> None:
        self._db = db
        self._oauth = oauth

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("aiteam_database_up", "Whether the scrape could read the database.")
        try:
            with self._db.read() as session:
                backlog = delivery.backlog(session, now=utcnow())
                installed = workspaces.installed(session, oauth=self._oauth)
        except Exception:
            log.exception("metrics: could not read the database")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "aiteam_delivery_backlog",
            "Deliveries not yet sent (waiting, retrying or being sent).",
            value=backlog.undelivered,
        )
        yield GaugeMetricFamily(
            "aiteam_delivery_oldest_age_seconds",
            "How long the oldest delivery not yet sent has waited (0 when none waits).",
            value=(backlog.oldest_age or timedelta(0)).total_seconds(),
        )
        yield GaugeMetricFamily(
            "aiteam_installed_workspaces", "Workspaces the bot is installed in.", value=installed
        )


class _ThisProcess(Collector):
    """The counters of this process alone (no PROMETHEUS_MULTIPROC_DIR)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def registry(db: Database, *, oauth: bool = False) -> CollectorRegistry:
    """What a scrape reads: every worker's files in multiprocess mode, else this process's
    counters; and the database's gauges."""
    found = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_DIR):
        MultiProcessCollector(found)
    else:
        found.register(_ThisProcess())
    found.register(_FromDatabase(db, oauth=oauth))
    return found


def render(scraped: CollectorRegistry) -> tuple[bytes, str]:
    """The text a scrape gets, and its content type."""
    return generate_latest(scraped), CONTENT_TYPE_LATEST


def serve(db: Database, *, host: str, port: int, oauth: bool = False) -> None:
    """Serve the metrics on `port` from a thread of this process (`clock`)."""
    start_http_server(port, addr=host, registry=registry(db, oauth=oauth))
