"""Settings and the CLI's handling of missing or malformed ones."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    s = Settings(_env_file=None)
    assert s.database_url == "sqlite:///aiteam.db"
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.port == 3000 and s.default_timezone == "UTC"
    assert s.admin_user_ids == frozenset() and s.allow_self_approval is False


def test_admin_ids_are_comma_separated_and_api_url_gets_its_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", " U1, U2 ,,U3")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    s = load_settings(_env_file=None)
    assert s.admin_user_ids == {"U1", "U2", "U3"}
    assert s.slack_api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE is invalid"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN is invalid"),
        ("SLACK_APP_TOKEN", "xoxb-wrong", "SLACK_APP_TOKEN is invalid"),
        ("PORT", "70000", "PORT is invalid"),
    ],
)
def test_malformed_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings(_env_file=None)


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ({"slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1"}, True),
        ({"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}, False),
        ({"slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1", "slack_signing_secret": "s"}, True),
    ],
)
def test_the_mode_follows_the_app_token(tokens: dict[str, str], expected: bool) -> None:
    assert Settings(_env_file=None, **tokens).require_mode() is expected


@pytest.mark.parametrize(
    ("tokens", "missing"),
    [
        ({}, "none of SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_SIGNING_SECRET is set"),
        ({"slack_bot_token": "xoxb-1"}, "neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is set"),
        ({"slack_app_token": "xapp-1"}, "SLACK_BOT_TOKEN is not set"),
        ({"slack_signing_secret": "s"}, "SLACK_BOT_TOKEN is not set"),
    ],
)
def test_a_missing_token_says_what_each_mode_needs(tokens: dict[str, str], missing: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings(_env_file=None, **tokens).require_mode()
    assert str(raised.value) == (
        f"{missing}: Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN, "
        "HTTP mode SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see README.md, section 'Settings')"
    )


def test_log_level_unset_is_info_for_processes_that_keep_running_and_warning_for_commands() -> None:
    s = Settings(_env_file=None)
    assert s.log_level is None
    assert s.logging_level(long_running=True) == logging.INFO
    assert s.logging_level(long_running=False) == logging.WARNING


def test_log_level_set_applies_to_every_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", " debug")
    s = load_settings(_env_file=None)
    assert s.log_level == "DEBUG"
    assert s.logging_level(long_running=True) == s.logging_level(long_running=False) == logging.DEBUG


def test_an_unknown_log_level_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(SettingsError, match="LOG_LEVEL is invalid: Input should be 'DEBUG', 'INFO'"):
        load_settings(_env_file=None)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_missing_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _run("web", env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2
    assert result.stderr.strip() == "error: SLACK_BOT_TOKEN is not set (see README.md, section 'Settings')"
    assert "Traceback" not in result.stderr


def test_cli_http_mode_needs_the_signing_secret(tmp_path: Path) -> None:
    result = _run("web", env={"SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr


def test_cli_help_lists_subcommands() -> None:
    result = _run("--help", env={})
    assert result.returncode == 0
    for name in ("run", "web", "migrate"):
        assert name in result.stdout


def test_cli_migrate_creates_the_schema(tmp_path: Path) -> None:
    result = _run("migrate", env={"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.db").exists()


def test_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # As `.env.example` ships: optional values left empty, or a stray space after `=`.
    for name in ("SLACK_APP_TOKEN", "DATABASE_URL", "SLACK_API_URL", "PORT", "ADMIN_USER_IDS"):
        monkeypatch.setenv(name, "")
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_SIGNING_SECRET= \nNUDGE_AFTER_HOURS=\n")
    s = load_settings(_env_file=env_file)
    assert s.slack_app_token is None and s.slack_signing_secret is None
    assert s.database_url == "sqlite:///aiteam.db" and s.slack_api_url == "https://slack.com/api/"
    assert s.port == 3000 and s.nudge_after_hours == 24 and s.admin_user_ids == frozenset()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p%40ss@db.example:5432/app", "postgresql+psycopg://u:p%40ss@db.example:5432/app"),
        ("postgresql://u@localhost/app", "postgresql+psycopg://u@localhost/app"),
        ("postgresql+psycopg://u@localhost/app", "postgresql+psycopg://u@localhost/app"),
        ("sqlite:///aiteam.db", "sqlite:///aiteam.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg(given: str, expected: str) -> None:
    assert Settings(_env_file=None, database_url=given).database_url == expected


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "nonsense://x", "nonsense:// is not supported"),
        ("DATABASE_URL", "mysql://u:hunter2@h/db", "mysql:// is not supported"),
        ("DATABASE_URL", "postgresql+psycopg2://u:hunter2@h/db", "driver 'postgresql+psycopg2'"),
        ("SLACK_API_URL", "not-a-url", "must be an http(s) URL"),
        ("SLACK_API_URL", "ftp://slack.com/api/", "must be an http(s) URL"),
    ],
)
def test_malformed_urls_name_the_variable_without_the_password(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"{name} is invalid: .*{re.escape(expected)}") as raised:
        load_settings(_env_file=None)
    assert "hunter2" not in str(raised.value)


def test_oauth_installs_need_both_client_settings_and_http() -> None:
    oauth = Settings(_env_file=None, slack_client_id="1.2", slack_client_secret="s", slack_signing_secret="x")
    assert oauth.oauth and oauth.require_mode() is False
    oauth.require_bot_token()  # each workspace's installation holds its token
    with pytest.raises(SettingsError, match="SLACK_CLIENT_SECRET is not set: OAuth installs need"):
        _ = Settings(_env_file=None, slack_client_id="1.2").oauth
    with pytest.raises(SettingsError, match="SLACK_CLIENT_ID is not set"):
        _ = Settings(_env_file=None, slack_client_secret="s").oauth
    with pytest.raises(SettingsError, match="served over HTTP: unset SLACK_APP_TOKEN"):
        Settings(
            _env_file=None, slack_client_id="1.2", slack_client_secret="s", slack_app_token="xapp-1"
        ).require_mode()
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is not set"):
        Settings(_env_file=None, slack_client_id="1.2", slack_client_secret="s").require_mode()


def test_under_oauth_slack_bot_token_is_never_used() -> None:
    both = Settings(_env_file=None, slack_bot_token="xoxb-1", slack_client_id="1.2", slack_client_secret="s")
    assert both.bot_token is None
    assert Settings(_env_file=None, slack_bot_token="xoxb-1").bot_token == "xoxb-1"


def test_data_on_uninstall_is_keep_or_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).data_on_uninstall == "keep"
    monkeypatch.setenv("DATA_ON_UNINSTALL", "purge")
    with pytest.raises(SettingsError, match="DATA_ON_UNINSTALL is invalid"):
        load_settings(_env_file=None)
