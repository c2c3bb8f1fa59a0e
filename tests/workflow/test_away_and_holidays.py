"""Holidays and away days, respected by scheduler passes in each ceremony's timezone."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from bot.delivery.worker import drain
from bot.installs import team_clients
from bot.runtime import worker_config
from bot.scheduler import run_once
from bot.settings import Settings
from storage.db import Database
from storage.models import CeremonyRun
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.workflow.conftest import Tick, add_ceremony, at, make_experiment
from tests.workflow.test_nudges import grant, nudges
from workflow import calendar
from workflow import vocabulary as v


def _holiday(db: Database, day: str, name: str | None = None) -> None:
    with db.session() as session:
        calendar.add_holiday(session, team_id=TEAM_ID, actor_id="U_LEAD", day_text=day, name=name)


def _away(db: Database, user: str, until: date | None) -> None:
    with db.session() as session:
        calendar.set_away(
            session,
            team_id=TEAM_ID,
            user_id=user,
            request=calendar.AwayRequest(until, None),
            now=at("2026-11-20T00:00:00Z"),
        )


def test_no_ceremony_is_posted_on_a_holiday_in_its_own_timezone(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    created = at("2026-11-24T00:00:00Z")
    add_ceremony(db, "tokyo", "daily 09:30", "Asia/Tokyo", created=created)
    add_ceremony(db, "berlin", "daily 09:30", "Europe/Berlin", created=created)
    # 2026-11-24 in Tokyo runs from 15:00 UTC on the 23rd to 15:00 UTC on the 24th.
    _holiday(db, "2026-11-24", "Founders' day")

    tick(at("2026-11-24T00:30:00Z"))  # 09:30 on the 24th in Tokyo: a holiday there
    tick(at("2026-11-24T08:30:00Z"))  # 09:30 on the 24th in Berlin: a holiday there too
    tick(at("2026-11-25T00:30:00Z"))  # the 25th in Tokyo: posted
    tick(at("2026-11-25T08:30:00Z"))  # the 25th in Berlin: posted
    assert len(slack.calls_to("chat.postMessage")) == 2
    with db.read() as session:
        runs = session.exec(select(CeremonyRun).order_by(CeremonyRun.due_at)).all()
    assert [(r.status, r.error) for r in runs] == [
        ("skipped", "holiday: 2026-11-24 (Founders' day)"),
        ("skipped", "holiday: 2026-11-24 (Founders' day)"),
        ("posted", None),
        ("posted", None),
    ]
    # A pass that comes again claims nothing more.
    tick(at("2026-11-24T00:31:00Z"))
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_the_holiday_follows_the_ceremonys_date_not_utcs(db: Database, slack: FakeSlack, tick: Tick) -> None:
    # 09:30 in Sydney on the 25th is 22:30 UTC on the 24th: the 24th being a holiday is no matter.
    add_ceremony(db, "standup", "daily 09:30", "Australia/Sydney", created=at("2026-11-20T00:00:00Z"))
    _holiday(db, "2026-11-24")
    tick(at("2026-11-24T22:30:00Z"))
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_away_reviewers_are_not_nudged(db: Database, slack: FakeSlack, tick: Tick) -> None:
    make_experiment(
        db,
        status=v.Status.IN_REVIEW,
        since=at("2026-11-23T09:00:00Z"),
        reviews={"technical": "approved", "business": "approved"},
    )
    grant(db, "U_ETHICS", "ethics_reviewer")
    grant(db, "U_ETHICS2", "ethics_reviewer")
    _away(db, "U_ETHICS", date(2026, 11, 30))
    tick(at("2026-11-24T09:01:00Z"))
    (nudge,) = nudges(slack)
    assert "<@U_ETHICS2>" in nudge["text"] and "<@U_ETHICS>" not in nudge["text"]


def test_nobody_is_nudged_when_everyone_who_could_act_is_away_until_they_are_back(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    make_experiment(
        db,
        status=v.Status.IN_REVIEW,
        since=at("2026-11-23T09:00:00Z"),
        reviews={"technical": "approved", "business": "approved"},
    )
    grant(db, "U_ETHICS", "ethics_reviewer")
    _away(db, "U_ETHICS", date(2026, 11, 25))  # the 25th is their last day away
    tick(at("2026-11-25T09:01:00Z"))
    assert nudges(slack) == []
    tick(at("2026-11-26T09:02:00Z"))
    (nudge,) = nudges(slack)
    assert "<@U_ETHICS>" in nudge["text"]


def test_a_holiday_added_after_the_reminder_was_queued_is_checked_again_when_it_is_sent(
    db: Database, slack: FakeSlack, settings: Settings
) -> None:
    add_ceremony(db, "standup", "daily 09:30", "Europe/Berlin", created=at("2026-11-20T00:00:00Z"))
    due = at("2026-11-24T08:30:00Z")
    run_once(settings, db, now=due)  # queued; Slack has not had it yet
    _holiday(db, "2026-11-24", "Snow day")
    drain(team_clients(settings, db), db, worker_config(settings), now=due + timedelta(seconds=5))
    assert slack.calls_to("chat.postMessage") == []
    with db.read() as session:
        (run,) = session.exec(select(CeremonyRun)).all()
    assert (run.status, run.error) == ("skipped", "holiday: 2026-11-24 (Snow day)")
