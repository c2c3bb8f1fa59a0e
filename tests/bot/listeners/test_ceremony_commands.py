"""`/ceremony`, end to end: signed HTTP in, Web API calls out to the fake Slack."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import AuditEvent, Ceremony
from tests.harness import BotServer, all_text


@pytest.fixture
def bot_db(db: Database) -> Database:
    """Run these on SQLite and PostgreSQL."""
    return db


@pytest.fixture
def bot_settings() -> dict[str, object]:
    return {"default_timezone": "Australia/Sydney"}


@pytest.fixture(autouse=True)
def channels(bot: BotServer) -> None:
    bot.slack.add_channel("C0TEAM", "team")
    bot.slack.add_channel("C0OTHER", "other")


def _ceremonies(db: Database) -> list[Ceremony]:
    with db.session() as session:
        return list(session.exec(select(Ceremony).order_by(Ceremony.name)).all())


def _listing(bot: BotServer) -> str:
    reply = bot.command("/ceremony", "list")
    assert reply.response_type == "ephemeral"
    return all_text(reply.json()["blocks"])


def test_setup_installs_the_four_ceremonies_once(bot: BotServer) -> None:
    reply = bot.command("/ceremony", "setup <#C0TEAM|team>")
    assert reply.response_type == "ephemeral"
    assert "Set up:" in reply.text
    stored = {
        (c.name, c.kind, c.schedule.split(" from ")[0], c.timezone, c.duration_minutes)
        for c in _ceremonies(bot.db)
    }
    assert stored == {
        ("standup", "standup", "weekdays 09:30", "Australia/Sydney", 15),
        ("experiment-review", "experiment_review", "weekly wed 14:00", "Australia/Sydney", 60),
        ("ethics-review", "ethics_review", "biweekly thu 15:00", "Australia/Sydney", 60),
        ("retro", "retrospective", "biweekly fri 16:00", "Australia/Sydney", 60),
    }
    again = bot.command("/ceremony", "setup <#C0OTHER|other>")
    assert "Set up:" not in again.text and "Already there" in again.text
    assert len(_ceremonies(bot.db)) == 4
    assert {c.channel_id for c in _ceremonies(bot.db)} == {"C0TEAM"}
    with bot.db.session() as session:
        actions = session.exec(select(AuditEvent.action, AuditEvent.actor_id)).all()
    assert actions == [("ceremony_added", "U_OWNER")] * 4


def test_setup_accepts_a_timezone(bot: BotServer) -> None:
    bot.command("/ceremony", "setup <#C0TEAM|team> america/new_york")
    assert {c.timezone for c in _ceremonies(bot.db)} == {"America/New_York"}


def test_add_then_list_shows_the_next_run_in_the_ceremonys_timezone(bot: BotServer) -> None:
    reply = bot.command("/ceremony", "add design-sync <#C0OTHER|other> weekly tue 11:00 Europe/Berlin")
    assert "Added *design-sync* `weekly tue 11:00` Europe/Berlin, 30 min, in <#C0OTHER>" in reply.text
    assert bot.slack.calls_to("conversations.info")[0].args["channel"] == "C0OTHER"
    listing = _listing(bot)
    assert "*design-sync* (custom) in <#C0OTHER> · next: Tue" in listing
    assert "11:00 CET" in listing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add sync <#C0TEAM|team> weekly funday 10:00", "Unknown day `funday`"),
        ("add sync <#C0TEAM|team> daily 25:00", "`25:00` is not a time of day"),
        ("add sync <#C0TEAM|team> daily 09:30 Mars/Base", "Unknown timezone `Mars/Base`"),
        ("add sync <#C0NOPE|nope> daily 09:30", "I can't find that channel"),
        ("add sync #team daily 09:30", "is not a channel"),
        ("add " + "x" * 41 + " <#C0TEAM|team> daily 09:30", "The name is 41 characters; keep it to 40."),
        ("add <!channel> <#C0TEAM|team> daily 09:30", "can't be a ceremony name"),
        ("add sync <#C0TEAM|team>", "Usage: `/ceremony add"),
        ("setup", "Say which channel"),
        ("setup <#C0NOPE|>", "I can't find that channel"),
        ("setup <#C0TEAM|team> Nowhere/City", "Unknown timezone"),
    ],
)
def test_bad_input_gets_a_clear_ephemeral_error_and_stores_nothing(
    bot: BotServer, text: str, expected: str
) -> None:
    reply = bot.command("/ceremony", text)
    assert reply.response_type == "ephemeral"
    assert ":warning:" in reply.text and expected.replace("<", "&lt;").replace(">", "&gt;") in reply.text
    assert _ceremonies(bot.db) == []
    assert "<!channel>" not in reply.text


def test_edit_schedule_channel_duration_and_timezone(bot: BotServer) -> None:
    bot.command("/ceremony", "setup <#C0TEAM|team>")
    assert (
        "Changed *standup* `daily 08:45` Europe/London"
        in bot.command("/ceremony", "edit standup schedule daily 08:45 Europe/London").text
    )
    bot.command("/ceremony", "edit standup channel <#C0OTHER|other>")
    bot.command("/ceremony", "edit standup duration 20")
    bot.command("/ceremony", "edit Standup timezone asia/tokyo")
    standup = next(c for c in _ceremonies(bot.db) if c.name == "standup")
    assert (standup.schedule, standup.timezone, standup.channel_id, standup.duration_minutes) == (
        "daily 08:45",
        "Asia/Tokyo",
        "C0OTHER",
        20,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("edit standup schedule weekly someday 10:00", "Unknown day"),
        ("edit standup channel <#C0NOPE|nope>", "I can't find that channel"),
        ("edit standup duration 0", "from 1 to 480"),
        ("edit standup colour blue", "You can edit schedule, timezone, channel, duration"),
        ("edit nothing duration 10", "There is no ceremony called `nothing`"),
        ("edit standup timezone Mars/Base", "Unknown timezone `Mars/Base`"),
        ("edit standup schedule daily 09:30 Europe/Paris Europe/Rome", "only a timezone may follow"),
    ],
)
def test_bad_edits_change_nothing(bot: BotServer, text: str, expected: str) -> None:
    bot.command("/ceremony", "setup <#C0TEAM|team>")
    before = [c.model_dump() for c in _ceremonies(bot.db)]
    reply = bot.command("/ceremony", text)
    assert ":warning:" in reply.text and expected in reply.text
    assert [c.model_dump() for c in _ceremonies(bot.db)] == before


def test_pause_resume_remove(bot: BotServer) -> None:
    bot.command("/ceremony", "setup <#C0TEAM|team>")
    assert "Paused *retro*" in bot.command("/ceremony", "pause retro").text
    assert "already paused" in bot.command("/ceremony", "pause retro").text
    assert "*retro* (retrospective) in <#C0TEAM> · :double_vertical_bar: paused" in _listing(bot)
    assert "Resumed *retro*" in bot.command("/ceremony", "resume retro").text
    assert "Removed *retro*" in bot.command("/ceremony", "remove retro").text
    assert "retro" not in {c.name for c in _ceremonies(bot.db)}
    assert "no ceremony called `retro`" in bot.command("/ceremony", "remove retro").text


def test_run_posts_the_reminder_now(bot: BotServer) -> None:
    bot.command("/ceremony", "setup <#C0TEAM|team>")
    reply = bot.command("/ceremony", "run standup")
    assert reply.response_type == "ephemeral" and "Posting *Daily standup* to <#C0TEAM> now" in reply.text
    post = bot.slack.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "C0TEAM"
    assert "Daily standup: 15 minutes" in all_text(post.args["blocks"])
    with bot.db.session() as session:
        assert (
            session.exec(select(AuditEvent).where(AuditEvent.action == "ceremony_run")).one().actor_id
            == "U_OWNER"
        )


def test_run_of_an_unknown_ceremony_says_so(bot: BotServer) -> None:
    reply = bot.command("/ceremony", "run standup")
    assert reply.response_type == "ephemeral" and "no ceremony called `standup`" in reply.text
    assert bot.slack.calls_to("chat.postMessage") == []


def test_run_that_slack_refuses_shows_in_the_list_and_in_the_askers_app_home(bot: BotServer) -> None:
    bot.command("/ceremony", "setup <#C0TEAM|team>")
    bot.slack.fail("chat.postMessage", "not_in_channel")
    bot.command("/ceremony", "run standup")
    assert "failed: not_in_channel" in _listing(bot)
    home = bot.slack.wait_for("views.publish")[-1].args
    assert home["user_id"] == "U_OWNER"
    shown = all_text(home["view"]["blocks"])
    assert "couldn't deliver the standup reminder to <#C0TEAM>" in shown and "/invite" in shown


def test_help_and_unknown_subcommands_answer_with_usage(bot: BotServer) -> None:
    reply = bot.command("/ceremony", "help")
    assert reply.response_type == "ephemeral"
    for phrase in ("/ceremony setup #channel", "/ceremony add <name>", "biweekly fri 16:00", "/ceremony run"):
        assert phrase in reply.text
    assert "Unknown subcommand `dance`" in bot.command("/ceremony", "dance").text
