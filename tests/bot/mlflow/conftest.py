"""The bot wired to a real MLflow tracking server on loopback, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from storage.db import Database
from tests.bot.listeners.review_helpers import build_team
from tests.harness import BotServer
from tests.mlflow_server import MlflowServer

SECRET = "test-webhook-secret"


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


@pytest.fixture
def bot_settings(mlflow_server: MlflowServer) -> dict[str, object]:
    return {
        "mlflow_tracking_uri": mlflow_server.url,
        "mlflow_webhook_secret": SECRET,
        "mlflow_promote_alias": "production",
    }


@pytest.fixture
def team(bot: BotServer) -> BotServer:
    build_team(bot)
    return bot


@dataclass
class Lab:
    """What the team's training code does in MLflow, with names no other test uses."""

    server: MlflowServer
    client: Any
    tag: str

    def run(self, name: str, **metrics: float) -> tuple[str, str]:
        """Log a finished run; (experiment id, run id)."""
        experiment_id = self.client.create_experiment(f"{self.tag}-{name}")
        run = self.client.create_run(experiment_id, run_name=name)
        for key, value in metrics.items():
            self.client.log_metric(run.info.run_id, key, value)
        self.client.set_terminated(run.info.run_id)
        return experiment_id, run.info.run_id

    def run_url(self, experiment_id: str, run_id: str) -> str:
        return f"{self.server.url}/#/experiments/{experiment_id}/runs/{run_id}"

    @property
    def model(self) -> str:
        return f"{self.tag}-model"


@pytest.fixture
def lab(mlflow_server: MlflowServer) -> Iterator[Lab]:
    client = mlflow_server.client()
    yield Lab(mlflow_server, client, uuid.uuid4().hex[:8])
    # The next test's bot listens elsewhere: its webhooks must not reach a stopped server.
    for webhook in client.list_webhooks():
        client.delete_webhook(webhook.webhook_id)
