"""Starting the bot as a newcomer would: every misconfiguration is one line and exit status 2.

Each case runs `python -m bot` as a subprocess, with Slack played by the fake Slack on loopback.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.fakeslack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-1234-secretpart"
APP_TOKEN = "xapp-1-secretpart"


def run_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single line the bot printed before exiting 2, checked to be alone and traceback-free."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def env(tmp_path: Path, slack: FakeSlack) -> dict[str, str]:
    """A working HTTP-mode environment; each test breaks one thing."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "signing-secret",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
    }


def test_an_empty_signing_secret_is_refused_in_http_mode(env: dict[str, str], tmp_path: Path) -> None:
    line = one_line_error(run_bot("web", env={**env, "SLACK_SIGNING_SECRET": ""}, cwd=tmp_path))
    assert line == "error: SLACK_SIGNING_SECRET is not set (see README.md, section 'Settings')"


def test_the_env_example_as_shipped_says_what_each_mode_needs(tmp_path: Path) -> None:
    # `cp .env.example .env`, nothing filled in, then the Quick start's `python -m bot`.
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    line = one_line_error(run_bot(env={}, cwd=tmp_path))
    assert line == (
        "error: neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is set: Socket Mode needs "
        "SLACK_BOT_TOKEN and SLACK_APP_TOKEN, HTTP mode SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
        "(see README.md, section 'Settings')"
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "nonsense://x", "error: DATABASE_URL is invalid: nonsense:// is not supported"),
        ("DATABASE_URL", "not a url", "error: DATABASE_URL is invalid: must be a database URL"),
        ("SLACK_API_URL", "not-a-url", "error: SLACK_API_URL is invalid: must be an http(s) URL"),
    ],
)
def test_malformed_urls_are_one_line(
    env: dict[str, str], tmp_path: Path, name: str, value: str, expected: str
) -> None:
    assert one_line_error(run_bot("web", env={**env, name: value}, cwd=tmp_path)).startswith(expected)


def test_a_sqlite_path_in_a_missing_directory_is_named(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "bot.db"
    line = one_line_error(run_bot("migrate", env={**env, "DATABASE_URL": f"sqlite:///{path}"}, cwd=tmp_path))
    assert line.startswith("error: DATABASE_URL names the SQLite file")
    assert str(path) in line and str(path.parent) in line


def test_an_unreachable_postgresql_is_one_line_without_the_password(
    env: dict[str, str], tmp_path: Path
) -> None:
    url = f"postgres://aiteam:s3cr3t-pw@127.0.0.1:{unused_port()}/aiteam"
    line = one_line_error(run_bot("migrate", env={**env, "DATABASE_URL": url}, cwd=tmp_path))
    assert line.startswith(
        "error: cannot reach the database at DATABASE_URL postgresql+psycopg://aiteam:***@"
    )
    assert "s3cr3t-pw" not in line


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_platform_style_postgresql_urls_use_psycopg(
    env: dict[str, str], tmp_path: Path, pg_database: str, scheme: str
) -> None:
    url = make_url(pg_database).set(drivername=scheme).render_as_string(hide_password=False)
    result = run_bot("migrate", env={**env, "DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "database is up to date\n"


@pytest.mark.parametrize(
    ("command", "answer"),
    [(["deliveries"], "nothing pending, retrying or failed\n"), (["migrate"], "database is up to date\n")],
)
def test_one_shot_commands_on_a_fresh_database_print_only_their_answer(
    tmp_path: Path, command: list[str], answer: str
) -> None:
    result = run_bot(*command, env={"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, answer, "")


def test_log_level_info_shows_the_migration_steps_again(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db", "LOG_LEVEL": "info"}
    result = run_bot("deliveries", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "nothing pending, retrying or failed\n"
    assert "INFO alembic.runtime.migration: Running upgrade  -> 0001" in result.stderr


def test_a_rejected_bot_token_is_one_line(env: dict[str, str], tmp_path: Path, slack: FakeSlack) -> None:
    slack.auth_error = "invalid_auth"
    result = run_bot("web", env=env, cwd=tmp_path)
    assert one_line_error(result) == "error: Slack rejected SLACK_BOT_TOKEN (invalid_auth)"
    assert "secretpart" not in result.stderr


def test_an_unreachable_slack_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    api_url = f"http://127.0.0.1:{unused_port()}/api/"
    line = one_line_error(run_bot("web", env={**env, "SLACK_API_URL": api_url}, cwd=tmp_path))
    assert line == f"error: cannot reach Slack at SLACK_API_URL {api_url} (Connection refused)"


def test_a_refused_app_token_is_one_line(env: dict[str, str], tmp_path: Path, slack: FakeSlack) -> None:
    slack.socket_url = None  # the fake answers apps.connections.open with not_allowed_token_type
    result = run_bot(env={**env, "SLACK_APP_TOKEN": APP_TOKEN}, cwd=tmp_path)
    assert one_line_error(result) == "error: SLACK_APP_TOKEN was refused (not_allowed_token_type)"
    assert "secretpart" not in result.stderr
    assert [c.args.get("token") for c in slack.calls_to("apps.connections.open")] == [None]


@pytest.mark.parametrize("command", [["web"], []], ids=["web", "run over HTTP"])
def test_a_busy_port_is_one_line(env: dict[str, str], tmp_path: Path, command: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # BIND_HOST stays at its default, 0.0.0.0, which the loopback port blocks too.
        result = run_bot(*command, env={**env, "PORT": str(port)}, cwd=tmp_path)
    assert one_line_error(result) == f"error: port {port} is already in use (set PORT to another)"


def test_a_bind_host_that_is_no_address_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    result = run_bot("web", env={**env, "BIND_HOST": "no-such-host.invalid"}, cwd=tmp_path)
    assert one_line_error(result).startswith("error: BIND_HOST no-such-host.invalid is not an address")


@pytest.fixture
def http_bot(tmp_path: Path, slack: FakeSlack) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    """`python -m bot` started from a fresh directory holding `.env.example` copied as is."""
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    port = unused_port()
    log = tmp_path / "bot.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=tmp_path,
            env={
                "PATH": "/usr/bin:/bin",
                # What the newcomer adds, plus what keeps the test on loopback.
                "SLACK_SIGNING_SECRET": "abc",
                "SLACK_API_URL": slack.api_url,
                "PORT": str(port),
                # Bolt warns about this variable when it is in the environment, not in .env.
                "SLACK_BOT_TOKEN": "xoxb-your-bot-token",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        yield process, port, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_env_example_as_shipped_plus_a_signing_secret_serves_http(
    http_bot: tuple[subprocess.Popen[str], int, Path], tmp_path: Path
) -> None:
    process, port, log = http_bot
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline and process.poll() is None:
        try:
            status = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
            if status == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    assert status == 200, log.read_text()
    head = requests.head(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert (head.status_code, head.content) == (200, b"")
    # Single-workspace mode, as before OAuth installs existed: no install pages.
    assert requests.get(f"http://127.0.0.1:{port}/slack/install", timeout=5).status_code == 404
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    output = log.read_text()
    assert (tmp_path / "aiteam.db").exists()  # the .env's DATABASE_URL, relative to the directory
    assert "will be unused" not in output  # Bolt: "As you gave `client` as well, `token` will be unused."
    assert "Traceback" not in output
    # The scheduler runs in gunicorn's master, and says so once, as Socket Mode does.
    assert output.count("INFO bot: scheduler running in gunicorn's master") == 1, output
    # gunicorn warns about body bytes an app sends for a HEAD; /healthz sends none.
    assert "no-body response" not in output and "WARNING gunicorn" not in output, output


def test_oauth_installs_serve_the_install_page_with_no_bot_token(
    env: dict[str, str], tmp_path: Path, slack: FakeSlack
) -> None:
    port = unused_port()
    oauth = {key: value for key, value in env.items() if key != "SLACK_BOT_TOKEN"}
    oauth |= {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "secret", "PORT": str(port)}
    log = tmp_path / "web.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "WEB_CONCURRENCY": "1", **oauth},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 30
        page = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = requests.get(f"http://127.0.0.1:{port}/slack/install", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200, log.read_text()
        assert "Add to Slack" in page.text and "client_id=1111.2222" in page.text
        assert slack.calls_to("auth.test") == []  # no one token to check at start-up
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    assert "Traceback" not in log.read_text()
