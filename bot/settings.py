"""Runtime settings, read once from the environment and an optional `.env` file."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from workflow.installs import OnUninstall
from workflow.vocabulary import Role

README_SETTINGS = "see README.md, section 'Settings'"
# What `python -m bot` needs in each of its two modes.
MODE_TOKENS = (
    "Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN, "
    "HTTP mode SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"
)
# The databases the migrations and the claim queries are written for.
SUPPORTED_DATABASES = ("sqlite", "postgresql")


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# Database connections the delivery threads of a process share (see `database_pool_size`).
DELIVERY_CONNECTIONS = 8


class Settings(BaseSettings):
    # `.env.example` leaves optional values empty (`SLACK_APP_TOKEN=`): empty means unset, so the
    # default applies instead of a validation error.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    # Installs in many workspaces (docs/installing.md): both set turn OAuth on, and each
    # workspace's bot token comes from its installation instead of SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    # The Redirect URL Slack sends installers back to; unset, Slack uses the app's first one.
    slack_redirect_uri: str | None = None
    # What uninstalling the app does to a workspace's rows (workflow/installs.py).
    data_on_uninstall: OnUninstall = OnUninstall.KEEP
    database_url: str = "sqlite:///aiteam.db"
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(default=3000, ge=1, le=65535)
    # The address `web` listens on: all interfaces by default (a platform's router in front).
    bind_host: str = "0.0.0.0"
    default_timezone: str = "UTC"
    admin_user_ids: Annotated[frozenset[str], NoDecode] = frozenset()
    # Small teams sometimes have nobody else to ask; off by default (separation of duties).
    allow_self_approval: bool = False
    # The ethics review is approved only after a bias check with result passed is recorded.
    require_bias_check: bool = False
    nudge_after_hours: float = Field(default=24, gt=0)
    nudge_every_hours: float = Field(default=24, gt=0)
    # A sign-off request not completed within this many days expires; 0 turns expiry off.
    approval_expires_days: int = Field(default=14, ge=0)
    # A review or sign-off still waiting after this many nudges is escalated once to the holders
    # of ESCALATE_TO_ROLE (never the owner or someone who already decided); 0 turns it off.
    escalate_after_nudges: int = Field(default=3, ge=0)
    escalate_to_role: Role = Role.TECHNICAL_LEAD
    reminder_grace_minutes: int = Field(default=60, ge=0)
    web_concurrency: int = Field(default=2, ge=1)
    # Sizing, per process (see README, "Sizing"): requests served at once, Slack calls made
    # after an ack (modals, private answers), deliveries in flight at once (each mostly waits
    # on Slack, holding no database connection meanwhile).
    web_threads: int = Field(default=8, ge=1, le=256)
    answer_threads: int = Field(default=4, ge=1, le=64)
    delivery_threads: int = Field(default=64, ge=1, le=256)
    # Whether each `web` worker also delivers. Off, the web workers only ack and `clock`
    # delivers everything (it needs a `clock` process: `run` refuses it).
    web_delivers: bool = True
    # Per-channel posting pace: Slack allows about one message a second per channel, with
    # short bursts. A rate of 0 turns pacing off (benchmarks against a fake Slack).
    delivery_rate_per_channel: float = Field(default=1.0, ge=0)
    delivery_burst: int = Field(default=3, ge=1)
    # How often a worker looks at the queue when nothing woke it, and how long a claim holds.
    delivery_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    delivery_lease_seconds: float = Field(default=120, gt=0)
    # One Web API call may take this long before it counts as failed (and is retried).
    slack_timeout_seconds: float = Field(default=10, gt=0, le=120)
    # GET /healthz answers 503 when deliveries back up past either threshold.
    health_max_backlog: int = Field(default=500, ge=1)
    health_max_delivery_age_seconds: float = Field(default=300, gt=0)
    # `tick` exits 1 when a send failed for good, or a retryable one has failed this many tries
    # in a row; a 429 or a channel's pace only defers.
    tick_fail_after_attempts: int = Field(default=3, ge=1)
    # Unset: the processes that keep running (`run`, `web`, `clock`) log INFO, one-shot commands
    # (`tick`, `deliveries`, `migrate`, `doctor`) only warnings, and Alembic's step-by-step lines
    # show only when LOG_LEVEL asks for INFO or DEBUG (see `logging_level`).
    log_level: LogLevel | None = None
    # The ML platform (docs/mlflow.md). Unset: no MLflow, and nothing changes. MLflow's client
    # reads its own credentials from the environment (MLFLOW_TRACKING_TOKEN, or
    # MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD; `databricks` profiles).
    mlflow_tracking_uri: str | None = None
    mlflow_webhook_secret: SecretStr | None = None
    # Aliases only the team's approvals may set: set otherwise, they raise an alert.
    mlflow_guarded_aliases: Annotated[frozenset[str], NoDecode] = frozenset({"production", "champion"})
    # The alias the bot sets on an experiment's model version when it reaches production; unset,
    # the bot never writes to the registry.
    mlflow_promote_alias: str | None = None
    # Linked runs and versions of experiments waiting on people are re-read this often.
    mlflow_refresh_minutes: float = Field(default=15, gt=0)
    # Where an alert about a model no experiment owns goes: `C…`, or `T…:C…` with several workspaces.
    mlflow_alert_channel: str | None = None
    # MLflow's own credentials, read by its client from the environment; given here (or in .env)
    # they are handed to it, unless the environment already has them.
    mlflow_tracking_token: SecretStr | None = None
    mlflow_tracking_username: str | None = None
    mlflow_tracking_password: SecretStr | None = None
    databricks_host: str | None = None
    databricks_token: SecretStr | None = None

    @field_validator("mlflow_guarded_aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(a.strip() for a in value.split(",") if a.strip())
        return value

    @property
    def mlflow_enabled(self) -> bool:
        return bool(self.mlflow_tracking_uri)

    # `json`: one JSON object per log line (bot/logs.py); `text`, the default, reads as prose.
    log_format: Literal["text", "json"] = "text"
    # GET /metrics on `web` (Prometheus' text format); METRICS_PORT serves the same for `clock`.
    metrics_enabled: bool = True
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_in_lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_id",
        "slack_client_secret",
        "slack_redirect_uri",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # Also for values passed directly, and for a stray space after `=` in .env.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _http_url_with_slash(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        # slack_sdk joins method names onto the base URL and expects the trailing slash.
        url = parts.geturl()
        return url if url.endswith("/") else url + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @property
    def database_pool_size(self) -> int:
        """A connection for each request and answer thread, so none waits for one; delivery
        threads hold one only for their short units of work, never across a Slack call, so they
        share a few; plus the delivery loop and `/healthz`."""
        return self.web_threads + self.answer_threads + min(self.delivery_threads, DELIVERY_CONNECTIONS) + 2

    def logging_level(self, *, long_running: bool) -> int:
        """LOG_LEVEL when set; else INFO for a process that keeps running, WARNING for a command
        that answers and exits (its answer is what it prints)."""
        if self.log_level is not None:
            return logging.getLevelNamesMapping()[self.log_level]
        return logging.INFO if long_running else logging.WARNING

    @property
    def oauth(self) -> bool:
        """Whether workspaces install the app through OAuth (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET),
        each with its own bot token; raise SettingsError when only one of the two is set."""
        if (self.slack_client_id is None) != (self.slack_client_secret is None):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_secret is None else "SLACK_CLIENT_ID"
            raise SettingsError(
                f"{missing} is not set: OAuth installs need SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                f"({README_SETTINGS})"
            )
        return self.slack_client_id is not None

    @property
    def bot_token(self) -> str | None:
        """SLACK_BOT_TOKEN in single-workspace mode; None under OAuth, where each workspace's
        installation holds its own."""
        if self.oauth or self.slack_bot_token is None:
            return None
        return self.slack_bot_token.get_secret_value()

    def require_bot_token(self) -> None:
        """SLACK_BOT_TOKEN, unless OAuth installs hold a token per workspace."""
        if not self.oauth:
            self.require("slack_bot_token")

    def require(self, *names: str) -> None:
        """Raise SettingsError naming the first of `names` that is unset."""
        for name in names:
            if getattr(self, name) is None:
                raise SettingsError(f"{name.upper()} is not set ({README_SETTINGS})")

    def require_mode(self) -> bool:
        """Whether `python -m bot` runs in Socket Mode (SLACK_APP_TOKEN set) rather than HTTP.

        Raise SettingsError when the tokens of neither mode are all set, in one line saying what
        each mode needs: a fresh `.env` leaves both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET
        empty, and naming only the HTTP one misleads whoever follows the Socket Mode quick start.
        """
        if self.oauth:
            if self.slack_app_token is not None:
                raise SettingsError(
                    "SLACK_CLIENT_ID turns on OAuth installs, which are served over HTTP: unset "
                    f"SLACK_APP_TOKEN and set SLACK_SIGNING_SECRET ({README_SETTINGS})"
                )
            self.require("slack_signing_secret")
            return False
        socket_mode = self.slack_app_token is not None
        chosen = socket_mode or self.slack_signing_secret is not None
        if self.slack_bot_token is not None and chosen:
            return socket_mode
        if chosen:
            missing = "SLACK_BOT_TOKEN is not set"
        elif self.slack_bot_token is None:
            missing = "none of SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_SIGNING_SECRET is set"
        else:
            missing = "neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is set"
        raise SettingsError(f"{missing}: {MODE_TOKENS} ({README_SETTINGS})")

    def secret(self, name: str) -> str:
        self.require(name)
        return getattr(self, name).get_secret_value()


def normalise_database_url(text: str) -> str:
    """A SQLAlchemy URL for SQLite or PostgreSQL, with psycopg (3) as the PostgreSQL driver.

    Hosting platforms set `postgres://…` (and `postgresql://…` would pick psycopg2, which is not
    installed), so both become `postgresql+psycopg://…`. Messages never repeat the password.
    """
    try:
        url: URL = make_url(text.strip())
    except ArgumentError:
        raise ValueError("must be a database URL such as sqlite:///aiteam.db or postgresql://…") from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    backend = url.get_backend_name()
    if backend not in SUPPORTED_DATABASES:
        raise ValueError(f"{backend}:// is not supported; use sqlite:///path.db or postgresql://…")
    try:
        url.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError):
        raise ValueError(f"the driver {url.drivername!r} is not available; use postgresql://…") from None
    return url.render_as_string(hide_password=False)


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's report into one line naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name} is invalid: {message} ({README_SETTINGS})") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
