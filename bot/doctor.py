"""`python -m bot doctor`: check the setup end to end and say how to fix what is wrong.

It changes nothing (no migration, no message): it reads the settings and the database, and
asks Slack through SLACK_API_URL only (`auth.test`, `apps.connections.open`,
`conversations.info`). Under OAuth installs it checks the token, scopes and channels of each
installed workspace (or of the one `--team` names) with that workspace's own token. When
MLFLOW_TRACKING_URI is set, it reads MLflow too (one search of experiments, its webhooks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.mlflow_cli import EXAMPLE_URL, bots_webhook, describe, quiet_retries
from bot.preflight import (
    BotIdentity,
    SlackUnreachable,
    StartupError,
    check_database,
    verify_app_token,
    verify_bot_token,
    web_api_client,
)
from bot.scopes import BOT_SCOPES, CORE_SCOPES
from bot.services import mlflow_of
from bot.settings import Settings, SettingsError, load_settings
from mlplatform.errors import NotConfigured, PlatformError, Refused
from storage.db import Database, alembic_config
from workflow import installs
from workflow.channels import channels_in_use

PASS, FAIL, SKIP = "✓", "✗", "–"
BOT_NAME = "@AI Team Bot"


@dataclass(frozen=True)
class Check:
    mark: str
    title: str
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.mark == FAIL


def _settings(load: Callable[[], Settings]) -> tuple[Check, Settings | None]:
    title = "settings"
    try:
        settings = load()
        if settings.oauth:
            settings.require_mode()
        else:
            settings.require("slack_bot_token")
            if settings.slack_app_token is None:
                settings.require("slack_signing_secret")
    except SettingsError as error:
        fix = "set it in .env or the environment; .env.example lists every setting"
        if "SLACK_SIGNING_SECRET" in str(error):
            fix = "set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN for Socket Mode"
        return Check(FAIL, title, str(error), fix), None
    mode = "Socket Mode" if settings.slack_app_token is not None else "HTTP mode"
    if settings.oauth:
        mode += ", OAuth installs in many workspaces"
    return Check(PASS, title, f"valid ({mode})"), settings


def _database(settings: Settings) -> Check:
    title = "database"
    try:
        check_database(settings.database_url)
    except StartupError as error:
        return Check(FAIL, title, str(error), "fix DATABASE_URL, or start the database server")
    db = Database(settings.database_url)
    try:
        head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as error:
        return Check(FAIL, title, f"cannot read the schema version ({type(error).__name__})")
    finally:
        db.dispose()
    if current != head:
        state = "has no schema yet" if current is None else f"is at migration {current}"
        return Check(
            FAIL,
            title,
            f"{state}; this version needs {head}",
            "run `python -m bot migrate` (it exits when done)",
        )
    return Check(PASS, title, f"reachable, migrated to the latest ({head})")


def _unreachable_fix(settings: Settings) -> str:
    return f"check SLACK_API_URL ({settings.slack_api_url}) and this machine's network access to it"


def _bot_token(
    settings: Settings, token: str | None = None, team: str = ""
) -> tuple[Check, BotIdentity | None]:
    title = f"bot token{team}"
    try:
        identity = verify_bot_token(
            settings, token, name=f"the bot token of {team.strip(' ()')}" if team else "SLACK_BOT_TOKEN"
        )
    except SlackUnreachable as error:
        return Check(FAIL, title, str(error), _unreachable_fix(settings)), None
    except StartupError as error:
        fix = (
            "install the app in that workspace again (GET /slack/install)"
            if team
            else "copy the Bot User OAuth Token (xoxb-…) from your app's Install App page into "
            "SLACK_BOT_TOKEN; reinstall the app if the token was revoked"
        )
        return Check(FAIL, title, str(error), fix), None
    detail = f"valid: team {identity.team} ({identity.team_id}), bot user {identity.user_id}"
    return Check(PASS, title, detail), identity


def _scopes(settings: Settings, identity: BotIdentity, team: str = "") -> Check:
    title = f"scopes{team}"
    reinstall = (
        "add them under OAuth & Permissions → Bot Token Scopes (or paste manifest.yml under App "
        "Manifest), reinstall the app, and put the new token in SLACK_BOT_TOKEN"
    )
    if identity.scopes is None:
        return Check(
            FAIL, title, "Slack did not say which scopes the token has (no x-oauth-scopes)", reinstall
        )
    # The link previews' scopes matter only with MLflow on.
    needed = BOT_SCOPES if settings.mlflow_enabled else CORE_SCOPES
    missing = [scope for scope in needed if scope not in identity.scopes]
    if missing:
        return Check(FAIL, title, f"missing: {', '.join(missing)}", reinstall)
    return Check(PASS, title, f"the token has all {len(needed)} the bot uses")


def _app_token(settings: Settings) -> Check:
    title = "app token"
    if settings.slack_app_token is None:
        return Check(PASS, title, "not set: HTTP mode")
    try:
        verify_app_token(settings)
    except SlackUnreachable as error:
        return Check(FAIL, title, str(error), _unreachable_fix(settings))
    except StartupError as error:
        fix = (
            "generate an app-level token with the connections:write scope under Basic Information → "
            "App-Level Tokens and put it (xapp-…) in SLACK_APP_TOKEN; enable Socket Mode"
        )
        return Check(FAIL, title, str(error), fix)
    return Check(PASS, title, "accepted: Socket Mode can connect")


def _channel_problem(settings: Settings, token: str, channel: str) -> str | None:
    """None when the bot is a member of `channel`, else what is wrong."""
    client = web_api_client(settings, token)
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as error:
        return str(error.response.get("error", "error"))
    except (OSError, SlackClientError):
        return "no answer from Slack"
    return None if info.get("is_member") else "not a member"


def _channels(settings: Settings, identity: BotIdentity, token: str, team: str = "") -> Check:
    title = f"channels{team}"
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            used = channels_in_use(session, team_id=identity.team_id)
    finally:
        db.dispose()
    if not used:
        return Check(PASS, title, "no ceremony or experiment card yet")
    problems = []
    for channel, holds in used.items():
        problem = _channel_problem(settings, token, channel)
        if problem is not None:
            shown = ", ".join(holds[:3]) + (f" and {len(holds) - 3} more" if len(holds) > 3 else "")
            problems.append(f"{channel} ({problem}; holds {shown})")
    if problems:
        fix = f"in each of these channels, type `/invite {BOT_NAME}`"
        return Check(FAIL, title, "the bot is not in " + "; ".join(problems), fix)
    return Check(PASS, title, f"the bot is in all {len(used)} channel(s) holding ceremonies or cards")


def _mlflow(settings: Settings) -> list[Check]:
    """With MLFLOW_TRACKING_URI set: the server answers, takes the credentials, and has the
    webhook that tells the bot what changes in the registry."""
    mlflow = mlflow_of(settings)
    if mlflow is None:
        return []
    quiet_retries()
    server, credentials, webhook = "mlflow server", "mlflow credentials", "mlflow webhook"
    try:
        readable = mlflow.check()
    except Refused as error:
        fix = (
            "set MLflow's own variables where the bot runs: MLFLOW_TRACKING_TOKEN, or "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (a `databricks` URI: its profile)"
        )
        return [
            Check(PASS, server, f"answers at {mlflow.tracking_uri}"),
            Check(FAIL, credentials, str(error), fix),
            Check(SKIP, webhook, "skipped: needs accepted credentials"),
        ]
    except PlatformError as error:
        fix = f"check MLFLOW_TRACKING_URI ({mlflow.tracking_uri}) and this machine's network access to it"
        if isinstance(error, NotConfigured):
            fix = 'install MLflow\'s client: pip install ".[mlflow]"'
        return [
            Check(FAIL, server, str(error), fix),
            Check(SKIP, credentials, "skipped: needs the MLflow server"),
            Check(SKIP, webhook, "skipped: needs the MLflow server"),
        ]
    checks = [
        Check(PASS, server, f"answers at {mlflow.tracking_uri}"),
        Check(PASS, credentials, f"accepted: {readable}"),
    ]
    register = f"run `python -m bot mlflow webhook --url {EXAMPLE_URL}` with the bot's address"
    if settings.mlflow_webhook_secret is None:
        fix = f"set MLFLOW_WEBHOOK_SECRET, then {register}"
        return [*checks, Check(FAIL, webhook, "MLFLOW_WEBHOOK_SECRET is not set: the bot refuses them", fix)]
    try:
        found = mlflow.webhooks()
    except PlatformError as error:
        return [*checks, Check(FAIL, webhook, str(error), register)]
    ours, problem = bots_webhook(found)
    if problem is not None or ours is None:
        return [*checks, Check(FAIL, webhook, str(problem), register)]
    return [*checks, Check(PASS, webhook, describe(ours))]


def run_checks(load: Callable[[], Settings] = load_settings, *, team: str | None = None) -> list[Check]:
    """Every check in order; one that needs a failed one is reported as skipped. `team`: under
    OAuth installs, only that workspace's checks."""
    settings_check, settings = _settings(load)
    if settings is None:
        return [settings_check, Check(SKIP, "everything else", "skipped: needs valid settings")]
    checks = [settings_check, _database(settings)]
    database_ok = not checks[-1].failed
    if settings.oauth:
        if not database_ok:
            return [*checks, Check(SKIP, "workspaces", "skipped: needs the database")]
        return checks + _workspaces(settings, team) + _mlflow(settings)
    token_check, identity = _bot_token(settings)
    checks.append(token_check)
    checks.append(
        _scopes(settings, identity) if identity else Check(SKIP, "scopes", "skipped: needs a valid bot token")
    )
    checks.append(_app_token(settings))
    if identity is None or not database_ok:
        checks.append(Check(SKIP, "channels", "skipped: needs the database and a valid bot token"))
    else:
        checks.append(_channels(settings, identity, settings.secret("slack_bot_token")))
    return checks + _mlflow(settings)


def _workspaces(settings: Settings, only: str | None) -> list[Check]:
    """The token, scopes and channels of each installed workspace, each with its own token."""
    db = Database(settings.database_url)
    try:
        with db.read() as session:
            teams = installs.installed_teams(session)
        assert settings.slack_client_id is not None
        store = installs.installation_store(db, client_id=settings.slack_client_id)
        tokens = {}
        for team_id in teams if only is None else [only]:
            bot = store.find_bot(enterprise_id=None, team_id=team_id)
            tokens[team_id] = bot.bot_token if bot is not None else None
    finally:
        db.dispose()
    install = "open /slack/install on the bot's web address and add the app to the workspace"
    if not tokens:
        return [Check(FAIL, "workspaces", "no workspace has installed the app yet", install)]
    checks = (
        [Check(PASS, "workspaces", f"{len(teams)} installed: {', '.join(teams)}")] if only is None else []
    )
    for team_id, token in tokens.items():
        team = f" ({team_id})"
        if token is None:
            checks.append(
                Check(FAIL, f"bot token{team}", "this workspace has not installed the app", install)
            )
            continue
        token_check, identity = _bot_token(settings, token, team)
        checks.append(token_check)
        if identity is None:
            checks.append(Check(SKIP, f"scopes and channels{team}", "skipped: needs a valid bot token"))
            continue
        checks += [_scopes(settings, identity, team), _channels(settings, identity, token, team)]
    return checks


def render(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{check.mark} {check.title}: {check.detail}")
        if check.fix:
            lines.append(f"    fix: {check.fix}")
    failed = sum(check.failed for check in checks)
    lines.append("all checks passed" if not failed else f"{failed} check(s) failed")
    return "\n".join(lines)


def doctor(team: str | None = None) -> int:
    """Print the checklist; 0 when every check passed, 1 otherwise."""
    checks = run_checks(team=team)
    print(render(checks))
    return 1 if any(check.failed or check.mark == SKIP for check in checks) else 0
