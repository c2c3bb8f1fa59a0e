"""A milestone passing its date undone gets one reminder in the project card's thread, at the
next scheduler pass, however many passes race for it. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, datetime

from bot.delivery.worker import drain
from bot.installs import team_clients
from bot.runtime import worker_config
from bot.scheduler import run_once
from bot.settings import Settings
from storage.db import Database
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.workflow.conftest import Tick, at
from workflow import projects

CREATED = date(2026, 11, 23)


def _project_with_milestone(db: Database, tick: Tick, *, due: str = "2026-11-25") -> None:
    with db.session() as session:
        projects.create(
            session,
            team_id=TEAM_ID,
            owner_id="U_OWNER",
            name="support-bot",
            members=["U_ANA"],
            channel_id="C_TEAM",
        )
    with db.session() as session:
        projects.add_milestone(
            session,
            team_id=TEAM_ID,
            actor_id="U_OWNER",
            name="support-bot",
            due=due,
            title="Pilot",
            today=CREATED,
        )
    tick(at("2026-11-23T10:00:00Z"))  # posts the card


def _overdue_posts(slack: FakeSlack) -> list[dict]:
    return [c.args for c in slack.calls_to("chat.postMessage") if "is overdue" in c.args.get("text", "")]


def test_one_reminder_in_the_cards_thread_naming_owner_and_members(
    db: Database, slack: FakeSlack, tick: Tick
) -> None:
    _project_with_milestone(db, tick)
    tick(at("2026-11-25T23:59:00Z"))  # due that day: not overdue yet
    assert _overdue_posts(slack) == []
    first = tick(at("2026-11-26T00:01:00Z"))
    tick(at("2026-11-26T00:02:00Z"))
    tick(at("2026-11-27T09:00:00Z"))
    posts = _overdue_posts(slack)
    assert len(first.overdue) == 1 and len(posts) == 1
    text = posts[0]["blocks"][0]["text"]["text"]
    assert "<@U_OWNER>" in text and "<@U_ANA>" in text and "M1 Pilot" in text
    card_ts = next(
        ts for (_, ts), m in slack.messages.items() if m.get("text", "").startswith("Project support-bot")
    )
    assert posts[0]["thread_ts"] == card_ts


def test_done_milestones_get_no_reminder(db: Database, slack: FakeSlack, tick: Tick) -> None:
    _project_with_milestone(db, tick)
    with db.session() as session:
        projects.complete_milestone(
            session, team_id=TEAM_ID, actor_id="U_ANA", name="support-bot", milestone="M1"
        )
    tick(at("2026-11-27T09:00:00Z"))
    assert _overdue_posts(slack) == []


def test_two_concurrent_passes_post_the_overdue_reminder_once(
    db: Database, slack: FakeSlack, settings: Settings, tick: Tick
) -> None:
    _project_with_milestone(db, tick)
    now = at("2026-11-26T09:00:00Z")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def one_pass(when: datetime = now) -> None:
        client = team_clients(settings, db)
        barrier.wait()
        try:
            run_once(settings, db, now=when)
            drain(client, db, worker_config(settings), now=when)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(_overdue_posts(slack)) == 1
