"""Entry point: `python -m bot [run|web|clock|tick|deliveries|migrate] ...`; see `--help`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import OperationalError

from bot.services import Services, open_database
from bot.settings import Settings, SettingsError, load_settings
from storage.db import Database

log = logging.getLogger("bot")

Command = Callable[[Settings, argparse.Namespace], int]


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    Database(settings.database_url).migrate()
    log.info("database is up to date")
    return 0


def _serve_http(settings: Settings) -> None:
    from bot.web import serve

    settings.require("slack_bot_token", "slack_signing_secret")
    serve(settings)


def cmd_web(settings: Settings, _args: argparse.Namespace) -> int:
    settings.require("slack_bot_token", "slack_signing_secret")
    cmd_migrate(settings, _args)
    _serve_http(settings)
    return 0


def cmd_tick(settings: Settings, args: argparse.Namespace) -> int:
    """One scheduler pass, then send what is due: status 1 when a post failed (it is retried)."""
    from bot.delivery.worker import drain
    from bot.runtime import worker_config
    from bot.scheduler import run_once
    from bot.slack import make_delivery_client
    from storage.types import utcnow
    from workflow.delivery import describe

    settings.require("slack_bot_token")
    cmd_migrate(settings, args)
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
    sent = drain(make_delivery_client(settings), db, worker_config(settings), now=now)
    with db.read() as session:
        for item in sent.sent:
            what = describe(session, item.row)
            if item.error is None:
                print(f"sent {what}" + (f" ({item.note})" if item.note else ""))
            else:
                print(f"{'failed' if item.state == 'failed' else 'will retry'} {what}: {item.error}")
    if not (report.queued or report.skipped or report.failed or report.nudged or sent.sent):
        print("nothing due")
    return 0 if report.ok and not sent.failed else 1


def cmd_clock(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime import start_worker
    from bot.scheduler import make_scheduler

    settings.require("slack_bot_token")
    cmd_migrate(settings, args)
    db = open_database(settings)
    start_worker(settings, db)
    log.info("clock: running the scheduler pass every minute, and a delivery worker")
    make_scheduler(settings, db, blocking=True).start()
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("slack_bot_token")
    if settings.slack_app_token is None:
        settings.require("slack_signing_secret")
    cmd_migrate(settings, args)
    if settings.slack_app_token is None:
        # Each gunicorn worker runs its own delivery worker; the scheduler runs here, once.
        from bot.scheduler import make_scheduler

        make_scheduler(settings, open_database(settings), blocking=False).start()
        _serve_http(settings)
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

    cmd_migrate(settings, args)
    return run(open_database(settings), args)


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
    from bot.deliveries_cli import add_arguments

    add_arguments(parsers["deliveries"])
    parser.set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(load_settings(), args)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        print(
            f"error: cannot use DATABASE_URL: {error.orig} (see README.md, section 'Settings')",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
