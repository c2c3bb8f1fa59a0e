"""What every serving process runs besides its listeners: the delivery worker, built from settings."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.worker import Worker, WorkerConfig
from bot.installs import team_clients
from bot.services import mlflow_of, policy_of
from bot.settings import Settings
from storage.db import Database
from workflow.delivery import Pace
from workflow.tick import TickConfig


def tick_config(settings: Settings) -> TickConfig:
    return TickConfig(
        grace=timedelta(minutes=settings.reminder_grace_minutes),
        nudge_after=timedelta(hours=settings.nudge_after_hours),
        nudge_every=timedelta(hours=settings.nudge_every_hours),
        admin_user_ids=settings.admin_user_ids,
        timezone=settings.default_timezone,
        escalate_after_nudges=settings.escalate_after_nudges or None,
        escalate_to=settings.escalate_to_role,
        approval_expires=(
            timedelta(days=settings.approval_expires_days) if settings.approval_expires_days else None
        ),
        evidence_every=(
            timedelta(minutes=settings.mlflow_refresh_minutes) if settings.mlflow_enabled else None
        ),
    )


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        threads=settings.delivery_threads,
        pace=Pace(rate=settings.delivery_rate_per_channel, burst=settings.delivery_burst),
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        poll=settings.delivery_poll_seconds,
        tick=tick_config(settings),
        policy=policy_of(settings),
        mlflow=mlflow_of(settings),
    )


def start_worker(settings: Settings, db: Database) -> Worker:
    """Start this process's delivery worker (it stops with the process)."""
    return Worker(team_clients(settings, db), db, worker_config(settings)).start()
