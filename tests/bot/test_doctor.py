"""`python -m bot doctor` against the fake Slack: all green, then one failure at a time."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml
from alembic.script import ScriptDirectory
from slack_sdk.oauth.installation_store import Installation

from bot.scopes import BOT_SCOPES
from mlplatform.client import WEBHOOK_EVENTS
from storage.db import Database, alembic_config
from tests.fakeslack import TEAM_ID, FakeSlack, Install
from tests.mlflow_server import MlflowServer
from workflow import ceremonies, experiments, installs, proposals
from workflow.experiments import Slot

ROOT = Path(__file__).resolve().parents[2]


def doctor(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "doctor", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def lines_of(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """{title: the check's line and its fix}, from the checklist on stdout."""
    assert "Traceback" not in result.stdout + result.stderr
    checks: dict[str, str] = {}
    title = ""
    for line in result.stdout.splitlines():
        if line[:2] in ("✓ ", "✗ ", "– "):
            title = line[2:].split(":")[0]
            checks[title] = line
        elif line.startswith("    fix: "):
            checks[title] += "\n" + line
    return checks


@pytest.fixture
def team(sqlite_db: Database, slack: FakeSlack) -> Database:
    """A set-up workspace: a ceremony in #team, a card in #research, the bot in both."""
    exp = proposals.propose(
        sqlite_db, team_id=TEAM_ID, owner_id="U1", hypothesis="Retrieval helps", channel_id="C_RESEARCH"
    )
    with sqlite_db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="U1",
            name="standup",
            channel_id="C_TEAM",
            schedule_tokens=["daily", "09:30"],
            default_timezone="UTC",
            now=datetime(2026, 11, 23, tzinfo=UTC),
        )
        assert exp.id is not None
        experiments.record_posted(session, experiment_id=exp.id, slot=Slot.CARD, ts="1700000000.000100")
    slack.add_channel("C_TEAM", "team")
    slack.add_channel("C_RESEARCH", "research")
    return sqlite_db


@pytest.fixture
def env(team: Database, slack: FakeSlack) -> dict[str, str]:
    slack.socket_url = "ws://127.0.0.1:9/link"  # apps.connections.open accepts the app token
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": team.url,
    }


def test_all_checks_pass(env: dict[str, str], tmp_path: Path, slack: FakeSlack) -> None:
    result = doctor(env, tmp_path)
    assert result.returncode == 0, result.stdout
    checks = lines_of(result)
    assert list(checks) == ["settings", "database", "bot token", "scopes", "app token", "channels"]
    assert all(line.startswith("✓") for line in checks.values()), result.stdout
    assert "team Team (T0TEAM), bot user UBOT" in checks["bot token"]
    assert "all 2 channel(s)" in checks["channels"]
    assert result.stdout.rstrip().endswith("all checks passed")
    assert {c.args["channel"] for c in slack.calls_to("conversations.info")} == {"C_TEAM", "C_RESEARCH"}
    assert slack.calls_to("chat.postMessage") == []  # it only looks


def test_a_missing_scope_is_named_with_the_fix(env: dict[str, str], tmp_path: Path, slack: FakeSlack) -> None:
    slack.scopes = [s for s in slack.scopes if s != "chat:write"]
    result = doctor(env, tmp_path)
    assert result.returncode == 1
    scopes = lines_of(result)["scopes"]
    assert scopes.startswith("✗ scopes: missing: chat:write\n    fix: ")
    assert "reinstall the app" in scopes


def test_the_bot_missing_from_a_ceremony_channel(
    env: dict[str, str], tmp_path: Path, slack: FakeSlack
) -> None:
    slack.add_channel("C_TEAM", "team", is_member=False)
    result = doctor(env, tmp_path)
    assert result.returncode == 1
    channels = lines_of(result)["channels"]
    assert channels.startswith("✗ channels: the bot is not in C_TEAM (not a member; holds ceremony standup)")
    assert "C_RESEARCH" not in channels
    assert "/invite @AI Team Bot" in channels


def test_a_database_not_migrated(env: dict[str, str], tmp_path: Path) -> None:
    result = doctor({**env, "DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"}, tmp_path)
    assert result.returncode == 1
    checks = lines_of(result)
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert checks["database"].startswith(f"✗ database: has no schema yet; this version needs {head}")
    assert "fix: run `python -m bot migrate`" in checks["database"]
    assert checks["channels"].startswith("– channels: skipped")


def test_a_bad_token(env: dict[str, str], tmp_path: Path, slack: FakeSlack) -> None:
    slack.auth_error = "invalid_auth"
    result = doctor(env, tmp_path)
    assert result.returncode == 1
    checks = lines_of(result)
    assert checks["bot token"].startswith("✗ bot token: Slack rejected SLACK_BOT_TOKEN (invalid_auth)")
    assert "Install App" in checks["bot token"]
    assert checks["scopes"].startswith("– scopes: skipped")


def test_invalid_settings_are_the_first_failure(env: dict[str, str], tmp_path: Path) -> None:
    result = doctor({**env, "DATABASE_URL": "nonsense://x"}, tmp_path)
    assert result.returncode == 1
    checks = lines_of(result)
    assert checks["settings"].startswith("✗ settings: DATABASE_URL is invalid")


def _installed(slack: FakeSlack, db: Database, team_id: str) -> None:
    """The workspace installed the app through OAuth: its token is in the installation store."""
    granted = slack.grant(Install(team_id, team_id.lower(), "U1"))
    store = installs.installation_store(db, client_id="1111.2222")
    store.save(
        Installation(
            app_id="A1",
            team_id=team_id,
            bot_token=granted["access_token"],
            bot_id="BBOT",
            bot_user_id="UBOT",
            bot_scopes=granted["scope"],
            user_id="U1",
        )
    )


def test_under_oauth_each_installed_workspace_is_checked_with_its_own_token(
    team: Database, tmp_path: Path, slack: FakeSlack
) -> None:
    _installed(slack, team, TEAM_ID)
    _installed(slack, team, "T0OTHER")
    slack.revoke("T0OTHER")
    env = {
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "secret",
        "SLACK_SIGNING_SECRET": "signing",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": team.url,
    }
    result = doctor(env, tmp_path)
    assert result.returncode == 1
    checks = lines_of(result)
    assert checks["settings"] == "✓ settings: valid (HTTP mode, OAuth installs in many workspaces)"
    assert checks["workspaces"] == f"✓ workspaces: 2 installed: T0OTHER, {TEAM_ID}"
    assert checks[f"bot token ({TEAM_ID})"].startswith("✓")
    assert "all 2 channel(s)" in checks[f"channels ({TEAM_ID})"]
    assert checks["bot token (T0OTHER)"].startswith(
        "✗ bot token (T0OTHER): Slack rejected the bot token of T0OTHER (token_revoked)"
    )
    assert "/slack/install" in checks["bot token (T0OTHER)"]
    # Each workspace's channels were asked about with that workspace's token.
    (alpha_token,) = slack.tokens_of(TEAM_ID)
    assert {c.token for c in slack.calls_to("conversations.info")} == {alpha_token}

    only = doctor(env, tmp_path, "--team", TEAM_ID)
    assert only.returncode == 0, only.stdout
    assert list(lines_of(only)) == [
        "settings",
        "database",
        f"bot token ({TEAM_ID})",
        f"scopes ({TEAM_ID})",
        f"channels ({TEAM_ID})",
    ]


def test_the_manifest_asks_for_exactly_the_scopes_the_bot_uses() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_the_link_scopes_are_needed_only_with_mlflow(
    env: dict[str, str], tmp_path: Path, slack: FakeSlack, nowhere: str
) -> None:
    slack.scopes = [s for s in slack.scopes if not s.startswith("links:")]
    assert doctor(env, tmp_path).returncode == 0
    unreachable = {**env, "MLFLOW_TRACKING_URI": nowhere}
    scopes = lines_of(doctor(unreachable, tmp_path))["scopes"]
    assert scopes.startswith("✗ scopes: missing: links:read, links:write\n    fix: ")


def test_mlflow_its_credentials_and_the_bots_webhook(
    env: dict[str, str], tmp_path: Path, mlflow: MlflowServer
) -> None:
    env = {**env, "MLFLOW_TRACKING_URI": mlflow.url, "MLFLOW_WEBHOOK_SECRET": "s3cret"}
    result = doctor(env, tmp_path)
    assert result.returncode == 1
    checks = lines_of(result)
    assert list(checks)[-3:] == ["mlflow server", "mlflow credentials", "mlflow webhook"]
    assert checks["mlflow server"] == f"✓ mlflow server: answers at {mlflow.url}"
    assert checks["mlflow credentials"].startswith("✓ mlflow credentials: accepted")
    assert checks["mlflow webhook"] == (
        "✗ mlflow webhook: no webhook calls …/mlflow/webhook\n"
        "    fix: run `python -m bot mlflow webhook --url https://bot.example.com/mlflow/webhook` "
        "with the bot's address"
    )

    url = "http://127.0.0.1:9/mlflow/webhook"
    made = mlflow.client().create_webhook(name="by-hand", url=url, events=["model_version.created"])
    webhook = lines_of(doctor(env, tmp_path))["mlflow webhook"]
    assert webhook.startswith(
        f"✗ mlflow webhook: `by-hand` ({url}) lacks the events model_version_alias.created, "
        "model_version_alias.deleted, model_version_tag.set"
    )

    mlflow.client().update_webhook(made.webhook_id, events=list(WEBHOOK_EVENTS), status="DISABLED")
    webhook = lines_of(doctor(env, tmp_path))["mlflow webhook"]
    assert webhook.startswith(f"✗ mlflow webhook: `by-hand` ({url}) is disabled\n")

    mlflow.client().update_webhook(made.webhook_id, status="ACTIVE")
    result = doctor(env, tmp_path)
    assert result.returncode == 0, result.stdout
    assert lines_of(result)["mlflow webhook"].startswith(f"✓ mlflow webhook: `by-hand` → {url}, active")


def test_without_the_webhook_secret_the_webhook_check_fails(
    env: dict[str, str], tmp_path: Path, mlflow: MlflowServer
) -> None:
    result = doctor({**env, "MLFLOW_TRACKING_URI": mlflow.url}, tmp_path)
    assert result.returncode == 1
    webhook = lines_of(result)["mlflow webhook"]
    assert webhook.startswith("✗ mlflow webhook: MLFLOW_WEBHOOK_SECRET is not set")
    assert "fix: set MLFLOW_WEBHOOK_SECRET, then run `python -m bot mlflow webhook --url" in webhook


def test_an_mlflow_server_that_does_not_answer(env: dict[str, str], tmp_path: Path, nowhere: str) -> None:
    uri = nowhere
    result = doctor({**env, "MLFLOW_TRACKING_URI": uri, "MLFLOW_WEBHOOK_SECRET": "s3cret"}, tmp_path)
    assert result.returncode == 1
    checks = lines_of(result)
    assert checks["mlflow server"].startswith("✗ mlflow server: MLflow did not answer")
    assert f"fix: check MLFLOW_TRACKING_URI ({uri})" in checks["mlflow server"]
    assert checks["mlflow credentials"] == "– mlflow credentials: skipped: needs the MLflow server"
    assert checks["mlflow webhook"] == "– mlflow webhook: skipped: needs the MLflow server"
    assert "Retrying" not in result.stdout + result.stderr


def test_credentials_mlflow_refuses(env: dict[str, str], tmp_path: Path) -> None:
    """A server answering as MLflow's basic-auth app does without valid credentials (the real one
    needs the `mlflow[auth]` extra on the server)."""

    class Refusing(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"You are not authenticated. Please see the MLflow docs on how to authenticate."
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="mlflow"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

    server = HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    uri = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = doctor({**env, "MLFLOW_TRACKING_URI": uri, "MLFLOW_WEBHOOK_SECRET": "s3cret"}, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    checks = lines_of(result)
    assert checks["mlflow server"] == f"✓ mlflow server: answers at {uri}"
    assert checks["mlflow credentials"].startswith(
        "✗ mlflow credentials: MLflow refused the bot's credentials (UNAUTHENTICATED)"
    )
    assert (
        "MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
        in (checks["mlflow credentials"])
    )
    assert checks["mlflow webhook"] == "– mlflow webhook: skipped: needs accepted credentials"


def test_mlflow_on_without_its_client_installed(env: dict[str, str], tmp_path: Path, nowhere: str) -> None:
    # `python -m bot` puts its working directory first on the path: this `mlflow` hides the real one.
    (tmp_path / "mlflow").mkdir()
    (tmp_path / "mlflow" / "__init__.py").write_text("raise ImportError(\"No module named 'mlflow'\")\n")
    result = doctor({**env, "MLFLOW_TRACKING_URI": nowhere}, tmp_path)
    assert result.returncode == 1
    server = lines_of(result)["mlflow server"]
    assert server.startswith("✗ mlflow server: MLflow's client is not installed")
    assert 'fix: install MLflow\'s client: pip install ".[mlflow]"' in server
