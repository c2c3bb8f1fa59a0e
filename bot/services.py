"""What listeners need besides Bolt's own arguments, injected through `context["services"]`."""

from __future__ import annotations

import os
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from bot import metrics
from bot.settings import Settings
from mlplatform.client import Mlflow
from storage.db import Database
from workflow.permissions import Policy


def open_database(settings: Settings) -> Database:
    """The process's database, its pool sized to the threads that use it; what its units of
    work queue is counted (bot/metrics)."""
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    db.on_queued(metrics.queued)
    return db


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    # Runs the Slack calls a listener makes after its ack (opening a modal, a private answer),
    # so the threads that serve requests only ever parse, write and ack.
    answers: Executor

    @property
    def policy(self) -> Policy:
        return policy_of(self.settings)

    @property
    def mlflow(self) -> Mlflow | None:
        return mlflow_of(self.settings)


def policy_of(settings: Settings) -> Policy:
    return Policy(
        allow_self_approval=settings.allow_self_approval,
        admin_user_ids=settings.admin_user_ids,
        require_bias_check=settings.require_bias_check,
        promote_alias=settings.mlflow_promote_alias if settings.mlflow_enabled else None,
    )


# MLflow's client reads its credentials from the process environment only.
MLFLOW_CREDENTIALS = (
    "mlflow_tracking_token",
    "mlflow_tracking_username",
    "mlflow_tracking_password",
    "databricks_host",
    "databricks_token",
)


def mlflow_of(settings: Settings) -> Mlflow | None:
    """The ML platform's client, when MLFLOW_TRACKING_URI turns the integration on; credentials
    from .env reach it through the environment (what the environment says already wins)."""
    if not settings.mlflow_tracking_uri:
        return None
    for name in MLFLOW_CREDENTIALS:
        value = getattr(settings, name)
        if value:
            os.environ.setdefault(
                name.upper(), value.get_secret_value() if isinstance(value, SecretStr) else value
            )
    return Mlflow(settings.mlflow_tracking_uri)


def services_of(context: Any) -> Services:
    return context["services"]
