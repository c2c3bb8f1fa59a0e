"""`/ceremony edit standup local on`: each participant asked at the standup's time in their own
timezone, the reminder at the first one's, the close counted from the last one's; scheduler
passes at chosen times against the fake Slack, on both databases."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from bot import ids
from storage.models import AuditEvent, Ceremony, CeremonyRun, StandupMember
from tests.bot.listeners.scheduled import Tick, scheduler_pass
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, all_text
from workflow import calendar, ceremonies, standups

CHANNEL = "C0TEAM"
# Monday 4 January 2027, 09:30 in each participant's own timezone, in UTC.
TOKYO = datetime.fromisoformat("2027-01-04T00:30:00+00:00")  # 09:30 JST (+09:00)
BERLIN = datetime.fromisoformat("2027-01-04T08:30:00+00:00")  # 09:30 CET (+01:00)
CEREMONY = datetime.fromisoformat("2027-01-04T09:30:00+00:00")  # 09:30 in the ceremony's UTC
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def team(bot: BotServer) -> None:
    bot.slack.add_user("UTOKYO", tz="Asia/Tokyo")
    bot.slack.add_user("UBERLIN", tz="Europe/Berlin")
    bot.slack.add_user("UHELPER", is_bot=True, tz="America/Los_Angeles")
    bot.slack.add_channel(CHANNEL, "team", members=["UTOKYO", "UBERLIN", "UHELPER"])
    with bot.db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="UTOKYO",
            name="standup",
            channel_id=CHANNEL,
            schedule_tokens=["weekdays", "09:30", "UTC"],
            default_timezone="UTC",
        )
        standup = ceremonies.get(session, team_id=TEAM_ID, name="standup")
        standup.kind = ceremonies.STANDUP
        session.add(standup)


def _reminders(bot: BotServer) -> list[dict]:
    return [
        m
        for (channel, _), m in bot.slack.messages.items()
        if channel == CHANNEL and not m.get("thread_ts") and ids.SHARE_UPDATE in json.dumps(m.get("blocks"))
    ]


def _dms(bot: BotServer) -> list[str]:
    return sorted(
        c.args["channel"] for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"].startswith("D")
    )


def _channel_posts(bot: BotServer) -> list[str]:
    return [c.args["channel"] for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]


def test_local_on_stores_each_participants_timezone(bot: BotServer) -> None:
    reply = bot.command("/ceremony", "edit standup local on")
    assert "each participant in their own timezone" in reply.text
    with bot.db.read() as session:
        members = {m.user_id: m.tz for m in session.exec(select(StandupMember)).all()}
        assert session.exec(select(Ceremony.local)).one() is True
    assert members == {"UTOKYO": "Asia/Tokyo", "UBERLIN": "Europe/Berlin"}  # the bot left out


def test_each_is_asked_at_their_own_0930_and_the_close_counts_from_the_last(
    bot: BotServer, tick: Tick
) -> None:
    bot.command("/ceremony", "edit standup local on")
    tick(TOKYO - MINUTE)
    assert _channel_posts(bot) == [] and _dms(bot) == []

    # Tokyo's 09:30: the reminder goes out, and only Tokyo is asked.
    tick(TOKYO)
    assert len(_reminders(bot)) == 1 and _channel_posts(bot) == [CHANNEL]
    assert _dms(bot) == ["DUTOKYO"]
    with bot.db.read() as session:
        run = session.exec(select(CeremonyRun)).one()
        assert run.due_at == TOKYO and run.local_day == date(2027, 1, 4)
        # Counted from Berlin's prompt (08:30 UTC), not from the reminder.
        assert run.closes_at == BERLIN + timedelta(minutes=120)

    # Tokyo's follow-up: halfway from their prompt to the close.
    tick(TOKYO + timedelta(hours=5) - MINUTE)
    assert _dms(bot) == ["DUTOKYO"]
    tick(TOKYO + timedelta(hours=5))
    assert _dms(bot) == ["DUTOKYO", "DUTOKYO"]

    # Berlin's 09:30: asked then, not before.
    tick(BERLIN - MINUTE)
    assert "DUBERLIN" not in _dms(bot)
    tick(BERLIN)
    assert _dms(bot) == ["DUBERLIN", "DUTOKYO", "DUTOKYO"]
    tick(BERLIN + timedelta(minutes=60))  # Berlin's follow-up, halfway to the close
    assert _dms(bot) == ["DUBERLIN", "DUBERLIN", "DUTOKYO", "DUTOKYO"]

    # The close: two hours after Berlin's prompt.
    tick(BERLIN + timedelta(minutes=119))
    assert bot.slack.calls_to("chat.update") == []
    tick(BERLIN + timedelta(minutes=120))
    (update,) = bot.slack.calls_to("chat.update")
    summary = all_text(update.args["blocks"])
    assert "*No answer:*" in summary and "<@UTOKYO>" in summary and "<@UBERLIN>" in summary

    # The ceremony's own 09:30 posts nothing more: the day had its standup.
    tick(CEREMONY)
    tick(CEREMONY + timedelta(hours=3))
    assert _channel_posts(bot) == [CHANNEL]
    assert len(_dms(bot)) == 4


def test_concurrent_passes_give_one_of_everything(bot: BotServer) -> None:
    bot.command("/ceremony", "edit standup local on")
    passes = [scheduler_pass(bot) for _ in range(4)]

    def race(now: datetime) -> None:
        threads = [threading.Thread(target=one, args=(now,)) for one in passes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    for moment in (TOKYO, TOKYO + timedelta(hours=5), BERLIN, BERLIN + timedelta(minutes=60)):
        race(moment)
    race(BERLIN + timedelta(minutes=120))
    assert _channel_posts(bot) == [CHANNEL]
    assert _dms(bot) == ["DUBERLIN", "DUBERLIN", "DUTOKYO", "DUTOKYO"]
    assert len(bot.slack.calls_to("chat.update")) == 1


def test_local_off_asks_everyone_at_the_ceremonys_own_time(bot: BotServer, tick: Tick) -> None:
    bot.command("/ceremony", "edit standup local on")
    assert "own timezone" not in bot.command("/ceremony", "edit standup local off").text
    tick(TOKYO)
    tick(BERLIN)
    assert _channel_posts(bot) == [] and _dms(bot) == []
    tick(CEREMONY)
    assert _channel_posts(bot) == [CHANNEL]
    assert _dms(bot) == ["DUBERLIN", "DUTOKYO"]
    tick(CEREMONY + timedelta(minutes=60))
    assert _dms(bot) == ["DUBERLIN", "DUBERLIN", "DUTOKYO", "DUTOKYO"]
    tick(CEREMONY + timedelta(minutes=120))
    assert len(bot.slack.calls_to("chat.update")) == 1


def test_local_maybe_is_refused_and_stores_nothing(bot: BotServer) -> None:
    reply = bot.command("/ceremony", "edit standup local maybe")
    assert reply.response_type == "ephemeral"
    assert "`local` is `on`" in reply.text and "or `off`" in reply.text and "not `maybe`" in reply.text
    with bot.db.read() as session:
        assert session.exec(select(Ceremony.local)).one() is False
        assert session.exec(select(StandupMember)).all() == []
        assert [e for e in session.exec(select(AuditEvent)).all() if "edited" in e.action] == []
    assert bot.slack.calls_to("users.info") == []


def test_each_persons_daylight_saving_is_their_own() -> None:
    ceremony = Ceremony(
        team_id=TEAM_ID,
        name="standup",
        kind=ceremonies.STANDUP,
        channel_id=CHANNEL,
        schedule="weekdays 09:30",
        timezone="UTC",
        duration_minutes=15,
        created_by="U1",
    )
    # Europe moves its clocks on 28 March 2027; Tokyo has no daylight saving; New York moved on 14 March.
    before, after = date(2027, 3, 26), date(2027, 3, 29)
    assert standups.person_time(ceremony, before, "Europe/Berlin").strftime("%H:%M") == "08:30"
    assert standups.person_time(ceremony, after, "Europe/Berlin").strftime("%H:%M") == "07:30"
    assert standups.person_time(ceremony, after, "Asia/Tokyo").strftime("%H:%M") == "00:30"
    assert standups.person_time(ceremony, after, "America/New_York").strftime("%H:%M") == "13:30"
    # Unknown (or not a timezone): the ceremony's own.
    assert standups.person_time(ceremony, after, None).strftime("%H:%M") == "09:30"
    assert standups.person_time(ceremony, after, "Mars/Olympus").strftime("%H:%M") == "09:30"


def test_a_holiday_on_the_standups_date_skips_it_once_for_everyone(bot: BotServer, tick: Tick) -> None:
    bot.command("/ceremony", "edit standup local on")
    with bot.db.session() as session:
        calendar.add_holiday(session, team_id=TEAM_ID, actor_id="UTOKYO", day_text="2027-01-04", name=None)
    for moment in (TOKYO, BERLIN, CEREMONY):
        tick(moment)
    assert _channel_posts(bot) == [] and _dms(bot) == []
    with bot.db.read() as session:
        (run,) = session.exec(select(CeremonyRun)).all()
    assert run.status == "skipped" and run.local_day == date(2027, 1, 4)


def test_someone_away_when_their_morning_comes_is_not_asked_and_listed_away(
    bot: BotServer, tick: Tick
) -> None:
    bot.command("/ceremony", "edit standup local on")
    with bot.db.session() as session:
        calendar.set_away(
            session,
            team_id=TEAM_ID,
            user_id="UBERLIN",
            request=calendar.AwayRequest(date(2027, 1, 4), "skiing"),
            now=TOKYO - timedelta(days=1),
        )
    for moment in (TOKYO, BERLIN, BERLIN + timedelta(minutes=60), BERLIN + timedelta(minutes=120)):
        tick(moment)
    assert _dms(bot) == ["DUTOKYO", "DUTOKYO"]  # the prompt and the follow-up
    (update,) = bot.slack.calls_to("chat.update")
    assert "*Away:* <@UBERLIN>" in all_text(update.args["blocks"])
