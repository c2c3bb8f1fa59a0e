"""Retros, end to end over signed HTTP: notes hidden until the retro, then the board; anonymous
notes that name nobody anywhere; action items tracked into the next retro; only the owner's Done.
Scheduler passes at chosen times against the fake Slack, on both databases."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot import ids
from storage.models import AuditEvent, Delivery, RetroNote
from tests.bot.listeners.scheduled import Tick
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, Response, all_text
from workflow import ceremonies

CHANNEL = "C0TEAM"
RETRO_1 = datetime.fromisoformat("2026-11-27T16:00:00+00:00")  # a Friday
RETRO_2 = RETRO_1 + timedelta(weeks=2)
RETRO_3 = RETRO_2 + timedelta(weeks=2)


@pytest.fixture(autouse=True)
def team(bot: BotServer) -> None:
    for user in ("UANA", "UBEN", "UCAT"):
        bot.slack.add_user(user)
    bot.slack.add_channel(CHANNEL, "team", members=["UANA", "UBEN", "UCAT"])
    with bot.db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="UCAT",
            name="retro",
            channel_id=CHANNEL,
            schedule_tokens=["biweekly", "fri", "16:00", "UTC"],
            default_timezone="UTC",
            now=RETRO_1 - timedelta(days=1),
        )
        retro = ceremonies.get(session, team_id=TEAM_ID, name="retro")
        retro.kind = ceremonies.RETROSPECTIVE
        session.add(retro)


def _reminders(bot: BotServer) -> list[dict]:
    """The retro's reminders as Slack shows them now, oldest first."""
    found = [
        m
        for (channel, _), m in bot.slack.messages.items()
        if channel == CHANNEL and not m.get("thread_ts") and ids.ADD_NOTE in json.dumps(m.get("blocks"))
    ]
    return sorted(found, key=lambda m: float(m["ts"]))


def _note(
    bot: BotServer,
    user: str,
    kind: str | None,
    text: str,
    *,
    owner: str | None = None,
    anonymous: bool = False,
) -> Response:
    reminder = _reminders(bot)[-1]
    before = len(bot.slack.calls_to("views.open"))
    assert bot.click(CHANNEL, reminder["ts"], ids.ADD_NOTE, user=user).status == 200
    view = bot.slack.wait_for("views.open", before + 1)[-1].args["view"]
    bot.settle()
    option = {"value": kind} if kind else None
    ticked = [{"value": ids.RETRO_ANONYMOUS_VALUE}] if anonymous else []
    values = {
        ids.RETRO_KIND_BLOCK: {ids.RETRO_KIND_INPUT: {"type": "radio_buttons", "selected_option": option}},
        ids.RETRO_TEXT_BLOCK: {ids.RETRO_TEXT_INPUT: {"type": "plain_text_input", "value": text}},
        ids.RETRO_OWNER_BLOCK: {ids.RETRO_OWNER_INPUT: {"type": "users_select", "selected_user": owner}},
        ids.RETRO_ANONYMOUS_BLOCK: {
            ids.RETRO_ANONYMOUS_INPUT: {"type": "checkboxes", "selected_options": ticked}
        },
    }
    return bot.submit_view(view, values, user=user)


def _everything_slack_received(bot: BotServer) -> str:
    return json.dumps([c.args for c in bot.slack.calls])


def _board(bot: BotServer, reminder: dict) -> dict:
    (board,) = [m for m in bot.slack.thread(CHANNEL, reminder["ts"]) if "Retro board" in m["text"]]
    return board


def test_notes_stay_hidden_until_the_retro_then_the_board_names_no_anonymous_author(
    bot: BotServer, tick: Tick
) -> None:
    tick(RETRO_1)
    (first,) = _reminders(bot)
    assert bot.slack.thread(CHANNEL, first["ts"]) == []  # no notes yet: no board

    after_the_meeting = RETRO_1 + timedelta(hours=2)
    assert _note(bot, "UANA", "went_well", "Shipped the <!channel> eval", anonymous=True).status == 200
    _note(bot, "UBEN", "to_improve", "Flaky CI")
    _note(bot, "UCAT", "action_item", "Quarantine flaky tests", owner="UBEN")
    tick(after_the_meeting)
    tick(RETRO_2 - timedelta(minutes=1))
    everything = _everything_slack_received(bot)
    assert "Shipped" not in everything and "Flaky CI" not in everything and "Quarantine" not in everything

    tick(RETRO_2)
    second = _reminders(bot)[-1]
    board = all_text(_board(bot, second)["blocks"])
    assert "*Retro board* · 3 notes" in board
    assert "*Went well* (1)\n• Shipped the &lt;!channel&gt; eval _(anonymous)_" in board
    assert "*To improve* (1)\n• Flaky CI _(<@UBEN>)_" in board
    assert "*Action items* (1)" in board and "Quarantine flaky tests · <@UBEN>" in board

    # The anonymous author appears nowhere: not in what Slack received, the notes, the audit
    # trail or the delivery queue.
    assert "UANA" not in _everything_slack_received(bot)
    with bot.db.read() as session:
        rows = [
            *session.exec(select(RetroNote)).all(),
            *session.exec(select(AuditEvent)).all(),
            *session.exec(select(Delivery)).all(),
        ]
        assert "UANA" not in json.dumps([r.model_dump(mode="json") for r in rows])


def test_a_note_written_during_the_retro_joins_its_board(
    bot: BotServer, tick: Tick, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app serves in this process: its clock is set to the meeting's.
    monkeypatch.setattr("bot.listeners.views.retros.utcnow", lambda: RETRO_1 + timedelta(minutes=5))
    tick(RETRO_1)
    _note(bot, "UBEN", "went_well", "Pairing on EXP-1")
    tick(RETRO_1 + timedelta(minutes=10))
    (reminder,) = _reminders(bot)
    assert "Pairing on EXP-1" in all_text(_board(bot, reminder)["blocks"])
    _note(bot, "UCAT", "to_improve", "Start on time")
    tick(RETRO_1 + timedelta(minutes=20))
    board = all_text(_board(bot, reminder)["blocks"])
    assert "*Retro board* · 2 notes" in board and "Start on time" in board
    assert len(bot.slack.thread(CHANNEL, reminder["ts"])) == 1  # updated in place


def test_action_items_are_tracked_only_the_owner_marks_them_done_and_the_next_retro_opens_with_them(
    bot: BotServer, tick: Tick
) -> None:
    tick(RETRO_1)
    _note(bot, "UCAT", "action_item", "Quarantine flaky tests", owner="UBEN")
    _note(bot, "UCAT", "action_item", "Write the runbook", owner="UCAT")
    tick(RETRO_1 + timedelta(hours=2))
    tick(RETRO_2)
    second = _reminders(bot)[-1]
    board = _board(bot, second)

    listing = bot.command("/ceremony", "actions", user="UANA").json()
    assert "*Open action items* (2)" in all_text(listing["blocks"])
    mine = bot.command("/ceremony", "actions mine", user="UBEN").json()
    assert "Quarantine flaky tests" in all_text(mine["blocks"]) and "runbook" not in all_text(mine["blocks"])

    # Someone else's Done button: refused, privately, and nothing changes.
    with bot.db.read() as session:
        quarantine = session.exec(select(RetroNote).where(RetroNote.owner_id == "UBEN")).one()
    bot.click(CHANNEL, board["ts"], ids.ACTION_DONE, value=str(quarantine.id), user="UANA")
    refusal = bot.slack.wait_for("response_url")[-1].args
    assert refusal["response_type"] == "ephemeral" and "Only <@UBEN>" in refusal["text"]
    with bot.db.read() as session:
        assert session.get(RetroNote, quarantine.id).done_at is None  # type: ignore[union-attr]

    # The owner presses Done in `/ceremony actions mine`: the board follows.
    payload = bot.click_payload(
        CHANNEL,
        "1.0",
        ids.ACTION_DONE,
        user="UBEN",
        value=str(quarantine.id),
        message={"ts": "1.0", "blocks": mine["blocks"]},
    )
    assert bot.interact(payload).status == 200
    bot.slack.wait_for("response_url", 2)
    tick(RETRO_2 + timedelta(minutes=5))
    board_text = all_text(_board(bot, second)["blocks"])
    assert "~Quarantine flaky tests~ · <@UBEN> · done by <@UBEN>" in board_text
    assert "Write the runbook · <@UCAT>" in board_text
    mine = bot.command("/ceremony", "actions mine", user="UBEN").json()
    assert "no open action items" in all_text(mine["blocks"])

    tick(RETRO_3)
    third = all_text(_reminders(bot)[-1]["blocks"])
    assert "*Action items from the last retro* (1 of 2 done)" in third
    assert "~Quarantine flaky tests~" in third and ":black_square_button: Write the runbook" in third
    assert third.index("Action items from the last retro") < third.index("What moved since")


@pytest.mark.parametrize(
    ("kind", "text", "owner", "anonymous", "block", "expected"),
    [
        ("went_well", "   ", None, False, ids.RETRO_TEXT_BLOCK, "can't be empty"),
        ("to_improve", "x" * 3001, None, False, ids.RETRO_TEXT_BLOCK, "3001 characters; keep it to 3000"),
        ("action_item", "Fix CI", None, False, ids.RETRO_OWNER_BLOCK, "needs an owner"),
        ("action_item", "Fix CI", "UBEN", True, ids.RETRO_ANONYMOUS_BLOCK, "can't be anonymous"),
        (None, "Fix CI", None, False, ids.RETRO_KIND_BLOCK, "Choose went well"),
    ],
)
def test_a_bad_note_is_refused_on_its_field_and_stores_nothing(
    bot: BotServer,
    tick: Tick,
    kind: str | None,
    text: str,
    owner: str | None,
    anonymous: bool,
    block: str,
    expected: str,
) -> None:
    tick(RETRO_1)
    body = _note(bot, "UANA", kind, text, owner=owner, anonymous=anonymous).json()
    assert body["response_action"] == "errors" and expected in body["errors"][block]
    with bot.db.read() as session:
        assert session.exec(select(RetroNote)).all() == []
