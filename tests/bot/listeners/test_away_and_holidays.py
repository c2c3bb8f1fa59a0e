"""`/aiteam away|back` and `/ceremony holiday|holidays`, end to end, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Away, Holiday
from storage.types import utcnow
from tests.harness import BotServer, all_text


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


def _aways(db: Database) -> list[Away]:
    with db.read() as session:
        return list(session.exec(select(Away)).all())


def _holidays(db: Database) -> list[Holiday]:
    with db.read() as session:
        return list(session.exec(select(Holiday)).all())


def _home(bot: BotServer, user: str = "U_OWNER") -> str:
    bot.slack.calls.clear()
    bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    return all_text(bot.slack.wait_for("views.publish")[-1].args["view"]["blocks"])


def test_away_until_a_date_shows_in_app_home_and_back_clears_it(bot: BotServer) -> None:
    until = (utcnow() + timedelta(days=10)).date()
    reply = bot.command("/aiteam", f"away until {until.isoformat()} visiting <!channel> family")
    assert reply.response_type == "ephemeral"
    assert f"You're away through {until:%a %d %b %Y}" in reply.text
    assert "&lt;!channel&gt;" in reply.text and "<!channel>" not in reply.text
    (away,) = _aways(bot.db)
    assert (away.user_id, away.until, away.reason) == ("U_OWNER", until, "visiting <!channel> family")
    assert "You're away through" in _home(bot)

    assert "Welcome back" in bot.command("/aiteam", "back").text
    assert _aways(bot.db) == []
    assert "You're away" not in _home(bot)


def test_away_without_a_date_lasts_until_back_and_a_second_away_replaces_the_first(bot: BotServer) -> None:
    bot.command("/aiteam", "away until 2999-01-01")
    assert "until you say `/aiteam back`" in bot.command("/aiteam", "away sick").text
    (away,) = _aways(bot.db)
    assert (away.until, away.reason) == (None, "sick")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("away until 2020-01-01", "2020-01-01 is in the past"),
        ("away until 24/12/2026", "`24/12/2026` is not a date; write it as YYYY-MM-DD"),
        ("away until 2026-02-30", "`2026-02-30` is not a date"),
        ("away until", "Say the last day you are away"),
        ("away " + "x" * 201, "The reason is 201 characters"),
        ("back", "You are not marked away"),
    ],
)
def test_bad_away_input_is_refused_and_stores_nothing(bot: BotServer, text: str, expected: str) -> None:
    reply = bot.command("/aiteam", text)
    assert reply.response_type == "ephemeral"
    assert ":warning:" in reply.text and expected in reply.text
    assert _aways(bot.db) == []


def test_holidays_add_list_remove(bot: BotServer) -> None:
    reply = bot.command("/ceremony", "holiday add 2999-12-25 Christmas Day")
    assert "Added the holiday *Wed 25 Dec 2999* Christmas Day" in reply.text
    bot.command("/ceremony", "holiday add 2999-12-26")
    listing = all_text(bot.command("/ceremony", "holidays").json()["blocks"])
    assert "*Holidays ahead* (2)" in listing
    assert listing.index("25 Dec 2999") < listing.index("26 Dec 2999")
    assert (
        "Removed the holiday *Thu 26 Dec 2999*" in bot.command("/ceremony", "holiday remove 2999-12-26").text
    )
    assert [h.day.isoformat() for h in _holidays(bot.db)] == ["2999-12-25"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("holiday add 25-12-2999", "is not a date; write it as YYYY-MM-DD"),
        ("holiday add 2999-12-25 Again", "2999-12-25 is already a holiday (Christmas)"),
        ("holiday remove 2999-12-24", "2999-12-24 is not a holiday"),
        ("holiday move 2999-12-24", "Use `/ceremony holiday add"),
        ("holiday add", "Use `/ceremony holiday add"),
    ],
)
def test_bad_holiday_input_is_refused_and_stores_nothing_new(
    bot: BotServer, text: str, expected: str
) -> None:
    bot.command("/ceremony", "holiday add 2999-12-25 Christmas")
    reply = bot.command("/ceremony", text)
    assert ":warning:" in reply.text and expected in reply.text
    assert [(h.day.isoformat(), h.name) for h in _holidays(bot.db)] == [("2999-12-25", "Christmas")]


def test_ceremony_list_shows_the_next_date_that_is_not_a_holiday(bot: BotServer) -> None:
    bot.slack.add_channel("C0TEAM", "team")
    bot.command("/ceremony", "add daily-sync <#C0TEAM|team> daily 09:30 Asia/Tokyo")
    tokyo_today = (utcnow() + timedelta(hours=9)).date()
    upcoming = [tokyo_today + timedelta(days=n) for n in range(3)]
    for day in upcoming:
        bot.command("/ceremony", f"holiday add {day.isoformat()}")
    listing = all_text(bot.command("/ceremony", "list").json()["blocks"])
    assert f"next: {tokyo_today + timedelta(days=3):%a %d %b} 09:30 JST" in listing
