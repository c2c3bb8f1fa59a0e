"""Entry point: `python -m bot [run|web|clock|tick|deliveries|migrate|mlflow|doctor] ...`; see `--help`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.logs import configure_logging, configure_logging_for
from bot.preflight import StartupError, check_database, check_port, verify_app_token, verify_bot_token
from bot.services import Services, open_database
from bot.settings import README_SETTINGS, Settings, SettingsError, load_settings
from storage.db import Database

log = logging.getLogger("bot")

Command = Callable[[Settings, argparse.Namespace], int]


def _migrate(settings: Settings) -> None:
    check_database(settings.database_url)
    Database(settings.database_url).migrate()


def _preflight(settings: Settings, *, socket_mode: bool = False) -> None:
    """Fail in one line, before anything forks or connects, if the database or Slack won't do.
    Under OAuth there is no one token to check: each workspace's is checked as it is used."""
    check_database(settings.database_url)
    if not settings.oauth:
        verify_bot_token(settings)
    if socket_mode:
        verify_app_token(settings)
    Database(settings.database_url).migrate()
    log.info("database is up to date")


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    _migrate(settings)
    print("database is up to date")
    return 0


def _serve_http(settings: Settings, *, scheduler: bool) -> None:
    from bot.web import serve

    settings.require_bot_token()
    settings.require("slack_signing_secret")
    serve(settings, scheduler=scheduler)


def cmd_web(settings: Settings, _args: argparse.Namespace) -> int:
    settings.require_bot_token()
    settings.require("slack_signing_secret")
    check_port(settings.bind_host, settings.port)
    _preflight(settings)
    _serve_http(settings, scheduler=False)
    return 0


def cmd_tick(settings: Settings, args: argparse.Namespace) -> int:
    """One scheduler pass at `--now`, then send what is due, the queue keeping to the real clock.

    Status 0 when everything due was sent or deliberately deferred (a 429, a channel's pace);
    1 when a send failed for good, or has now failed TICK_FAIL_AFTER_ATTEMPTS tries in a row
    (the queue still retries it), or the pass itself failed."""
    from bot.delivery.worker import drain
    from bot.installs import team_clients
    from bot.runtime import worker_config
    from bot.scheduler import run_once
    from storage.types import utcnow
    from workflow.delivery import describe
    from workflow.projects import milestone_label

    settings.require_bot_token()
    _preflight(settings)
    db = open_database(settings)
    now = args.now or utcnow()
    report = run_once(settings, db, now=now)
    for label in report.queued:
        print(f"queued {label}")
    for label in report.skipped:
        print(f"skipped {label}")
    for label in report.failed:
        print(f"failed {label}")
    if report.nudged:
        print(f"nudged {len(report.nudged)} experiment(s)")
    if report.overdue:
        with db.read() as session:
            for milestone_id in report.overdue:
                print(f"queued the overdue reminder of {milestone_label(session, milestone_id)}")
    sent = drain(team_clients(settings, db), db, worker_config(settings), now=now)
    with db.read() as session:
        for item in sent.sent:
            what = describe(session, item.row)
            if item.error is None:
                print(f"sent {what}" + (f" ({item.note})" if item.note else ""))
            elif item.rate_limited:
                print(f"deferred {what}: Slack asked to wait (rate limited); the queue sends it then")
            elif item.state == "failed":
                print(f"failed {what}: {item.error}")
            else:
                print(f"will retry {what}: {item.error} (failed {item.row.attempts} time(s) in a row)")
    if not (report.queued or report.skipped or report.failed or report.nudged or report.overdue or sent.sent):
        print("nothing due: no reminder, nudge or delivery to send now")
    return 0 if report.ok and not sent.gave_up(settings.tick_fail_after_attempts) else 1


def cmd_clock(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime import start_worker
    from bot.scheduler import make_scheduler, run_until_terminated

    settings.require_bot_token()
    _preflight(settings)
    db = open_database(settings)
    worker = start_worker(settings, db)
    if settings.metrics_enabled and settings.metrics_port is not None:
        from bot.metrics import exposition

        exposition.serve(db, host=settings.bind_host, port=settings.metrics_port, oauth=settings.oauth)
        log.info("clock: metrics on http://%s:%s/metrics", settings.bind_host, settings.metrics_port)
    log.info("clock: running the scheduler pass every minute, and a delivery worker")
    run_until_terminated(make_scheduler(settings, db, blocking=True))
    worker.stop()  # the deliveries in flight finish and are recorded
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    socket_mode = settings.require_mode()
    if not settings.web_delivers:
        raise SettingsError(
            "WEB_DELIVERS=false leaves deliveries to `python -m bot clock`, and `run` starts no clock: "
            "use `web` and `clock` (the Procfile), or unset WEB_DELIVERS"
        )
    if not socket_mode:
        check_port(settings.bind_host, settings.port)
    _preflight(settings, socket_mode=socket_mode)
    if not socket_mode:
        # Each gunicorn worker runs its own delivery worker; the master runs the scheduler, once.
        _serve_http(settings, scheduler=True)
        return 0
    from bot.runtime import start_worker
    from bot.scheduler import make_scheduler
    from bot.socket_mode import socket_mode_handler
    from bot.web import answers_pool

    db = open_database(settings)
    start_worker(settings, db)
    make_scheduler(settings, db, blocking=False).start()
    log.info("scheduler and delivery worker running in this process")
    socket_mode_handler(Services(settings=settings, db=db, answers=answers_pool(settings))).start()
    return 0


def cmd_deliveries(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deliveries_cli import run

    _migrate(settings)
    return run(open_database(settings), args)


def cmd_mlflow(settings: Settings, args: argparse.Namespace) -> int:
    from bot.mlflow_cli import run

    return run(settings, args)


def cmd_doctor(_settings: Settings | None, args: argparse.Namespace) -> int:
    from bot.doctor import doctor

    return doctor(team=args.team)


def _aware_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no timezone; add an offset, e.g. {text}+11:00 or {text}Z"
        )
    return moment


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="AI Team Bot: experiments and ceremonies for AI teams, in Slack. Settings come from "
        "the environment or .env (see README.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands: list[tuple[str, str, Command]] = [
        (
            "run",
            "Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT, plus the scheduler (the default)",
            cmd_run,
        ),
        ("web", "serve HTTP only (gunicorn): POST /slack/events, GET /healthz; no scheduler", cmd_web),
        (
            "clock",
            "run the scheduler (ceremony reminders and nudges, every minute) and a delivery worker",
            cmd_clock,
        ),
        ("tick", "run one scheduler pass (reminders and nudges due now), send them, then exit", cmd_tick),
        (
            "deliveries",
            "what the bot still owes Slack: list pending, retrying and failed rows; retry or drop one",
            cmd_deliveries,
        ),
        ("migrate", "create or upgrade the database schema, then exit", cmd_migrate),
        (
            "mlflow",
            "MLflow: `mlflow webhook --url URL` registers the registry's webhook to the bot; "
            "without --url, shows it",
            cmd_mlflow,
        ),
        (
            "doctor",
            "check settings, database, tokens, scopes and channels, with a fix for each problem",
            cmd_doctor,
        ),
    ]
    parsers = {}
    for name, help_text, func in commands:
        parsers[name] = sub.add_parser(name, help=help_text, description=help_text)
        parsers[name].set_defaults(func=func)
    parsers["tick"].add_argument(
        "--now",
        type=_aware_datetime,
        metavar="ISO8601",
        help="the time the pass runs at, with its offset, e.g. 2026-11-24T09:30:00+11:00 (default: now)",
    )
    parsers["doctor"].add_argument(
        "--team", metavar="T…", help="under OAuth installs: check only this workspace (default: every one)"
    )
    from bot import deliveries_cli, mlflow_cli

    deliveries_cli.add_arguments(parsers["deliveries"])
    mlflow_cli.add_arguments(parsers["mlflow"])
    parser.set_defaults(func=cmd_run)
    return parser


def _database_problem(error: SQLAlchemyError, url: str) -> str:
    """One line about a database failure past the preflight (a migration refused, say)."""
    text = str(getattr(error, "orig", None) or error).strip()
    line = (text.splitlines() or [type(error).__name__])[0]
    password = make_url(url).password
    return line.replace(password, "***") if password else line


# The commands that keep running log INFO unless LOG_LEVEL says otherwise; the others answer
# and exit, and log only warnings unless asked.
LONG_RUNNING: tuple[Command, ...] = (cmd_run, cmd_web, cmd_clock)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.func is cmd_doctor:
        # doctor reads the settings itself, to report a bad one (LOG_LEVEL too) as a failed check.
        try:
            configure_logging_for(load_settings(), long_running=False)
        except SettingsError:
            configure_logging(logging.WARNING)
        return cmd_doctor(None, args)
    settings: Settings | None = None
    try:
        settings = load_settings()
        configure_logging_for(settings, long_running=args.func in LONG_RUNNING)
        return args.func(settings, args)
    except (SettingsError, StartupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        problem = _database_problem(error, settings.database_url) if settings else type(error).__name__
        print(f"error: cannot use DATABASE_URL: {problem} ({README_SETTINGS})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
