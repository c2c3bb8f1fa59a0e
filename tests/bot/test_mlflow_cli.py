"""`python -m bot mlflow webhook` against a real MLflow server: registers, updates and shows the
webhook that calls the bot, and says in one line why it cannot."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from mlplatform import webhooks
from mlplatform.client import WEBHOOK_EVENTS
from tests.mlflow_server import MlflowServer

SECRET = "webhook-secret-for-tests"
URL = "http://127.0.0.1:9/mlflow/webhook"


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "mlflow", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def env(mlflow: MlflowServer) -> dict[str, str]:
    return {"MLFLOW_TRACKING_URI": mlflow.url, "MLFLOW_WEBHOOK_SECRET": SECRET}


def _registered(mlflow: MlflowServer) -> list[Any]:
    return list(mlflow.client().list_webhooks())


def test_registers_the_webhook_with_the_events_and_the_secret(
    mlflow: MlflowServer, env: dict[str, str], tmp_path: Path, receiver: Receiver
) -> None:
    result = cli(["webhook", "--url", receiver.url], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"registered `ai-team-bot` → {receiver.url}, active")
    [webhook] = _registered(mlflow)
    assert webhook.name == "ai-team-bot" and webhook.url == receiver.url
    assert sorted(f"{e.entity}.{e.action}" for e in webhook.events) == sorted(WEBHOOK_EVENTS)
    # MLflow never shows a webhook's secret: its signed test payload proves it is ours.
    assert mlflow.client().test_webhook(webhook.webhook_id).success
    headers, body = receiver.requests[0]
    event = webhooks.verify(SECRET, headers, body, now=time.time())
    assert event.name in WEBHOOK_EVENTS


def test_registering_again_updates_the_same_webhook(
    mlflow: MlflowServer, env: dict[str, str], tmp_path: Path
) -> None:
    assert cli(["webhook", "--url", URL], env, tmp_path).returncode == 0
    moved = "https://bot.example.com/mlflow/webhook"
    result = cli(["webhook", "--url", moved], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"updated `ai-team-bot` → {moved}")
    assert [w.url for w in _registered(mlflow)] == [moved]


def test_a_webhook_registered_by_hand_at_the_same_url_is_updated(
    mlflow: MlflowServer, env: dict[str, str], tmp_path: Path
) -> None:
    made = mlflow.client().create_webhook(name="by-hand", url=URL, events=["model_version.created"])
    result = cli(["webhook", "--url", URL], env, tmp_path)
    assert result.returncode == 0, result.stderr
    [webhook] = _registered(mlflow)
    assert webhook.webhook_id == made.webhook_id and len(webhook.events) == len(WEBHOOK_EVENTS)


def test_shows_what_is_registered(mlflow: MlflowServer, env: dict[str, str], tmp_path: Path) -> None:
    mlflow.client().create_webhook(name="ci", url="http://127.0.0.1:9/ci", events=["model_version.created"])
    result = cli(["webhook"], env, tmp_path)
    assert result.returncode == 1
    assert "`ci` → http://127.0.0.1:9/ci, active, events: model_version.created" in result.stdout
    assert "no webhook calls …/mlflow/webhook: register it with `python -m bot mlflow webhook --url" in (
        result.stdout
    )
    cli(["webhook", "--url", URL], env, tmp_path)
    result = cli(["webhook"], env, tmp_path)
    assert result.returncode == 0
    assert result.stdout.rstrip().endswith("the bot's webhook is registered: `ai-team-bot`")


@pytest.mark.parametrize(
    ("args", "unset", "error"),
    [
        (["webhook"], "MLFLOW_TRACKING_URI", "error: MLFLOW_TRACKING_URI is not set"),
        (["webhook", "--url", URL], "MLFLOW_WEBHOOK_SECRET", "error: MLFLOW_WEBHOOK_SECRET is not set"),
    ],
    ids=["no-tracking-uri", "no-secret"],
)
def test_an_unset_setting_is_named(
    mlflow: MlflowServer, env: dict[str, str], tmp_path: Path, args: list[str], unset: str, error: str
) -> None:
    result = cli(args, {k: v for k, v in env.items() if k != unset}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(error) and len(result.stderr.splitlines()) == 1
    assert _registered(mlflow) == []


def test_a_url_that_is_not_the_bots_webhook_path_is_refused(
    mlflow: MlflowServer, env: dict[str, str], tmp_path: Path
) -> None:
    result = cli(["webhook", "--url", "https://bot.example.com/slack/events"], env, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: --url must be the bot's web address ending in /mlflow/webhook, "
        "e.g. https://bot.example.com/mlflow/webhook"
    )
    assert _registered(mlflow) == []


def test_mlflow_refusing_is_one_line(mlflow: MlflowServer, env: dict[str, str], tmp_path: Path) -> None:
    result = cli(["webhook", "--url", "http://[::1/mlflow/webhook"], env, tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "error: MLflow refused the request for registering the webhook: INVALID_PARAMETER_VALUE"
    )
    assert _registered(mlflow) == []


def test_a_server_that_does_not_answer_is_one_line(tmp_path: Path, nowhere: str) -> None:
    env = {"MLFLOW_TRACKING_URI": nowhere, "MLFLOW_WEBHOOK_SECRET": SECRET}
    result = cli(["webhook"], env, tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: MLflow did not answer")


class Receiver:
    """A stand-in for the bot's web process: keeps each request MLflow sends it."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((dict(self.headers), body))
                payload = json.dumps({"ok": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/mlflow/webhook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as receiving:
        yield receiving
