"""Standups that collect answers, end to end: scheduler passes at chosen times, DMs, the modal,
thread replies, follow-ups and the summary, against the fake Slack, on both databases."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from bot import ids
from storage.models import Experiment, StandupAnswer
from tests.bot.listeners.scheduled import Tick, scheduler_pass
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, all_text
from workflow import calendar, ceremonies, proposals

CHANNEL = "C0TEAM"
MONDAY = datetime.fromisoformat("2026-11-23T09:30:00+00:00")  # the standup's time, UTC


@pytest.fixture(autouse=True)
def team(bot: BotServer) -> None:
    for user in ("UANA", "UBEN", "UCAT"):
        bot.slack.add_user(user)
    bot.slack.add_user("UGONE", deleted=True)
    bot.slack.add_user("UHELPER", is_bot=True)
    bot.slack.add_channel(CHANNEL, "team", members=["UANA", "UBEN", "UCAT", "UGONE", "UHELPER"])
    with bot.db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="UANA",
            name="standup",
            channel_id=CHANNEL,
            schedule_tokens=["weekdays", "09:30", "UTC"],
            default_timezone="UTC",
            now=MONDAY - timedelta(days=1),
        )
        standup = ceremonies.get(session, team_id=TEAM_ID, name="standup")
        standup.kind = ceremonies.STANDUP
        session.add(standup)


def _reminder(bot: BotServer) -> dict:
    """The standup's reminder as Slack shows it now (updates applied)."""
    (found,) = [
        m
        for (channel, _), m in bot.slack.messages.items()
        if channel == CHANNEL and not m.get("thread_ts") and ids.SHARE_UPDATE in json.dumps(m.get("blocks"))
    ]
    return found


def _dms(bot: BotServer) -> list[str]:
    return [
        c.args["channel"] for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"].startswith("D")
    ]


def _answer(bot: BotServer, user: str, progress: str, blockers: str = "", help: str = "") -> object:
    reminder = _reminder(bot)
    click = bot.click(CHANNEL, reminder["ts"], ids.SHARE_UPDATE, user=user)
    assert click.status == 200
    view = bot.slack.wait_for("views.open", where=lambda c: True)[-1].args["view"]
    bot.settle()
    values = {
        ids.STANDUP_PROGRESS_BLOCK: {ids.STANDUP_INPUT: {"type": "plain_text_input", "value": progress}},
        ids.STANDUP_BLOCKERS_BLOCK: {ids.STANDUP_INPUT: {"type": "plain_text_input", "value": blockers}},
        ids.STANDUP_HELP_BLOCK: {ids.STANDUP_INPUT: {"type": "plain_text_input", "value": help}},
    }
    return bot.submit_view(view, values, user=user)


def _thread(bot: BotServer) -> list[dict]:
    return bot.slack.thread(CHANNEL, _reminder(bot)["ts"])


def test_the_prompt_goes_to_the_channels_people_and_answers_become_one_reply_each(
    bot: BotServer, tick: Tick
) -> None:
    tick(MONDAY)
    reminder = _reminder(bot)
    assert "Share my update" in json.dumps(reminder["blocks"])
    # People only: no bot, no deactivated account.
    assert sorted(_dms(bot)) == ["DUANA", "DUBEN", "DUCAT"]
    assert [c.args["users"] for c in bot.slack.calls_to("conversations.open")].count("UANA") == 1

    assert _answer(bot, "UANA", "Trained the <!channel> model", help="GPU quota").status == 200
    tick(MONDAY + timedelta(minutes=5))
    (reply,) = _thread(bot)
    text = all_text(reply["blocks"])
    assert "<@UANA>" in text and "Trained the &lt;!channel&gt; model" in text
    assert "*Help needed*\nGPU quota" in text and "Blockers" not in text

    _answer(bot, "UANA", "Trained and evaluated the model")
    tick(MONDAY + timedelta(minutes=6))
    (reply,) = _thread(bot)
    assert "Trained and evaluated" in all_text(reply["blocks"]) and "GPU quota" not in all_text(
        reply["blocks"]
    )
    assert len(bot.slack.calls_to("chat.update")) == 1


def test_follow_up_halfway_only_to_non_responders_not_away_then_the_summary(
    bot: BotServer, tick: Tick
) -> None:
    with bot.db.session() as session:
        calendar.set_away(
            session,
            team_id=TEAM_ID,
            user_id="UCAT",
            request=calendar.AwayRequest(date(2026, 11, 30), "holiday"),
            now=MONDAY - timedelta(days=1),
        )
    tick(MONDAY)
    assert sorted(_dms(bot)) == ["DUANA", "DUBEN"]  # Cat is away
    _answer(bot, "UANA", "Shipped EXP-7 eval", blockers="Waiting on data")
    tick(MONDAY + timedelta(minutes=59))
    assert len(_dms(bot)) == 2
    tick(MONDAY + timedelta(minutes=60))
    assert sorted(_dms(bot)) == ["DUANA", "DUBEN", "DUBEN"]  # once, to Ben only
    tick(MONDAY + timedelta(minutes=61))
    assert len(_dms(bot)) == 3

    tick(MONDAY + timedelta(minutes=120))
    summary = all_text(_reminder(bot)["blocks"])
    assert "*Summary* · 1 answered" in summary
    assert "<@UANA>: Waiting on data" in summary
    assert "*No answer:* <@UBEN>" in summary and "*Away:* <@UCAT>" in summary

    # A late answer still posts, marked late, and updates the summary.
    _answer(bot, "UBEN", "Reviewed PRs")
    tick(MONDAY + timedelta(minutes=125))
    assert "_(late)_" in all_text(_thread(bot)[-1]["blocks"])
    assert "*Summary* · 2 answered" in all_text(_reminder(bot)["blocks"])


def test_a_blocker_naming_an_experiment_is_posted_once_in_its_thread(bot: BotServer, tick: Tick) -> None:
    number = proposals.propose(
        bot.db, team_id=TEAM_ID, owner_id="UBEN", hypothesis="Retrieval helps", channel_id=CHANNEL
    ).number
    tick(MONDAY - timedelta(hours=1))  # the card goes out
    tick(MONDAY)
    _answer(bot, "UANA", f"Worked on EXP-{number}", blockers=f"EXP-{number} needs the eval set")
    _answer(bot, "UANA", f"Worked on EXP-{number} all day", blockers=f"EXP-{number} still needs the eval set")
    tick(MONDAY + timedelta(minutes=5))
    with bot.db.read() as session:
        card_ts = session.exec(select(Experiment.message_ts)).one()
    assert card_ts is not None
    blocked = [m for m in bot.slack.thread(CHANNEL, card_ts) if "is blocked on" in m["text"]]
    assert len(blocked) == 1 and "<@UANA>" in blocked[0]["text"]
    (reply,) = _thread(bot)
    assert f"/p{card_ts.replace('.', '')}|EXP-{number}>" in all_text(reply["blocks"])


@pytest.mark.parametrize(
    ("progress", "blockers", "block", "expected"),
    [
        ("   ", "", ids.STANDUP_PROGRESS_BLOCK, "Say what moved"),
        ("ok", "x" * 3001, ids.STANDUP_BLOCKERS_BLOCK, "3001 characters; keep it to 3000"),
    ],
)
def test_a_bad_answer_is_refused_on_its_field_and_stores_nothing(
    bot: BotServer, tick: Tick, progress: str, blockers: str, block: str, expected: str
) -> None:
    tick(MONDAY)
    reply = _answer(bot, "UANA", progress, blockers=blockers)
    body = reply.json()  # type: ignore[attr-defined]
    assert body["response_action"] == "errors" and expected in body["errors"][block]
    with bot.db.read() as session:
        assert session.exec(select(StandupAnswer)).all() == []


def test_explicit_participants_replace_the_channel_and_a_non_user_is_refused(
    bot: BotServer, tick: Tick
) -> None:
    assert "is not a person" in bot.command("/ceremony", "participants standup <@UANA> <#C0TEAM|team>").text
    assert "asks the people in <#C0TEAM>" in bot.command("/ceremony", "participants standup").text
    assert "asks <@UBEN>" in bot.command("/ceremony", "participants standup <@UBEN|ben>").text
    tick(MONDAY)
    assert _dms(bot) == ["DUBEN"]
    assert bot.slack.calls_to("conversations.members") == []
    assert "channel's members" not in bot.command("/ceremony", "participants standup channel").text


def test_concurrent_passes_give_one_of_everything(bot: BotServer) -> None:
    passes = [scheduler_pass(bot) for _ in range(4)]

    def race(now: datetime) -> None:
        threads = [threading.Thread(target=one, args=(now,)) for one in passes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    race(MONDAY)
    race(MONDAY + timedelta(minutes=60))
    race(MONDAY + timedelta(minutes=120))
    posts = [c.args["channel"] for c in bot.slack.calls_to("chat.postMessage")]
    assert posts.count(CHANNEL) == 1
    assert sorted(p for p in posts if p.startswith("D")) == [
        "DUANA",
        "DUANA",
        "DUBEN",
        "DUBEN",
        "DUCAT",
        "DUCAT",
    ]
    assert len(bot.slack.calls_to("chat.update")) == 1


def test_a_missing_scope_is_named_in_the_app_home_of_whoever_set_the_standup_up(
    bot: BotServer, tick: Tick
) -> None:
    bot.slack.fail("conversations.open", "missing_scope", times=3, needed="im:write")
    tick(MONDAY)
    assert _dms(bot) == []
    bot.slack.calls.clear()
    bot.event({"type": "app_home_opened", "user": "UANA", "channel": "D1", "tab": "home"})
    tick(MONDAY + timedelta(minutes=1))
    home = all_text(bot.slack.wait_for("views.publish")[-1].args["view"]["blocks"])
    assert "the standup DMs" in home and "the `im:write` permission" in home and "Reinstall" in home
    assert home.count("the standup DMs") == 1  # three failed DMs, one problem


def test_a_blocker_naming_an_experiment_is_listed_in_the_next_experiment_review(
    bot: BotServer, tick: Tick
) -> None:
    number = proposals.propose(
        bot.db, team_id=TEAM_ID, owner_id="UBEN", hypothesis="Retrieval helps", channel_id=CHANNEL
    ).number
    with bot.db.session() as session:
        review = ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="UANA",
            name="experiment-review",
            channel_id=CHANNEL,
            schedule_tokens=["weekly", "wed", "14:00", "UTC"],
            default_timezone="UTC",
            now=MONDAY - timedelta(days=1),
        )
        review.kind = ceremonies.EXPERIMENT_REVIEW
        session.add(review)
    tick(MONDAY - timedelta(hours=1))  # the card goes out
    tick(MONDAY)
    _answer(bot, "UANA", "Eval work", blockers=f"EXP-{number} needs the <!here> eval set")
    _answer(bot, "UBEN", "Reviews", blockers="Nothing about experiments")
    tick(MONDAY + timedelta(minutes=5))

    wednesday = MONDAY + timedelta(days=2, hours=4, minutes=30)
    tick(wednesday)
    (posted,) = [
        c.args for c in bot.slack.calls_to("chat.postMessage") if "Experiment review" in c.args["text"]
    ]
    text = all_text(posted["blocks"])
    assert "*:construction: Blocked, from the standups* (1)" in text
    assert f"|EXP-{number}>* <@UANA>: EXP-{number} needs the &lt;!here&gt; eval set" in text
    assert "UBEN>:" not in text

    # The next review lists only what came up since this one.
    tick(wednesday + timedelta(weeks=1))
    latest = [c.args for c in bot.slack.calls_to("chat.postMessage") if "Experiment review" in c.args["text"]]
    assert len(latest) == 2 and "Blocked, from the standups" not in all_text(latest[-1]["blocks"])
