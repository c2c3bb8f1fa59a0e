"""A real MLflow tracking server on loopback, started once per test session.

SQLite backend store, one worker, MLflow's job execution off; webhooks may call loopback
(`MLFLOW_WEBHOOK_ALLOWED_SCHEMES`, `MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS`) and their secrets are
encrypted with a fixed key, as a deployment's would be.

The server is the full `mlflow` from `tests/mlflow-server.txt`, installed by the README's test
command in `.venv-mlflow` (or named by MLFLOW_SERVER_BIN): apart from the bot's virtualenv, so
its pins do not change what the bot is tested with. Without it the tests that need it are
skipped, except under CI, where that is a failure (as for PostgreSQL).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

# Fernet key for the webhook secrets MLflow stores (any fixed 32-byte url-safe base64 key).
ENCRYPTION_KEY = "xEdjWt9fRn6N7YmmmxdBl28zCVxuIwheFeQ0u2MG69w="
STARTUP_SECONDS = 90


@dataclass(frozen=True)
class MlflowServer:
    url: str
    root: Path

    def client(self):  # type: ignore[no-untyped-def]
        """MLflow's own client, as a team's training code would log with it."""
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.url, registry_uri=self.url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ROOT = Path(__file__).resolve().parent.parent


def _server_binary() -> Path:
    for candidate in (os.environ.get("MLFLOW_SERVER_BIN"), ROOT / ".venv-mlflow" / "bin" / "mlflow"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    why = (
        "no MLflow server: install it with `python3 -m venv .venv-mlflow && "
        ".venv-mlflow/bin/pip install -r tests/mlflow-server.txt` (the README's test command does)"
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    root = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
        "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": ENCRYPTION_KEY,
        # The server's webhook deliveries must not wait out retries against a test that is gone.
        "MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES": "1",
        # Each test's bot listens on its own port: the server must see a new webhook at once.
        "MLFLOW_WEBHOOK_CACHE_TTL": "0",
    }
    mlflow = _server_binary()
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [
            str(mlflow),
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--default-artifact-root",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"mlflow server did not start: {(root / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.3)
        yield MlflowServer(url=url, root=root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
