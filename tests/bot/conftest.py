"""Fixtures shared by the tests of the bot's surface."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.mlflow_server import MlflowServer


def _clear_webhooks(server: MlflowServer) -> None:
    client = server.client()
    for webhook in client.list_webhooks():
        client.delete_webhook(webhook.webhook_id)


@pytest.fixture
def mlflow(mlflow_server: MlflowServer) -> Iterator[MlflowServer]:
    """The session's MLflow server with no webhook registered, and none left behind: a webhook
    another test registered would be delivered every registry event of the tests after it."""
    _clear_webhooks(mlflow_server)
    yield mlflow_server
    _clear_webhooks(mlflow_server)


@pytest.fixture
def nowhere() -> str:
    """The address of a port on loopback where nothing listens: a server that does not answer."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"
