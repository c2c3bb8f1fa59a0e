"""Learnings end to end over signed HTTP with the fake Slack, on SQLite and PostgreSQL: the prompt
at close (once), the modal and the command, search by text and tag, the next experiment review's
list (once), and the refusals that store nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot import ids
from bot.scheduler import run_once
from storage.db import Database
from storage.models import Learning
from storage.types import utcnow
from tests.bot.listeners.review_helpers import CHANNEL, OWNER, REVIEWERS, card_ts, submit, thread_reply
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, Response, all_text
from workflow import ceremonies


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


def _prompts(bot: BotServer, number: int = 1) -> list[dict]:
    return [
        m
        for m in bot.slack.thread(CHANNEL, card_ts(bot, number))
        if ids.RECORD_LEARNING in str(m.get("blocks"))
    ]


def _stored(bot: BotServer) -> list[Learning]:
    with bot.db.read() as session:
        return list(session.exec(select(Learning).order_by(Learning.id)).all())


def _open_modal(bot: BotServer, user: str, number: int = 1) -> dict:
    before = len(bot.slack.calls_to("views.open"))
    bot.click(CHANNEL, _prompts(bot, number)[0]["ts"], ids.RECORD_LEARNING, user=user)
    view = bot.slack.wait_for("views.open", before + 1)[-1].args["view"]
    assert view["callback_id"] == ids.LEARNING_MODAL
    return view


def _fill(
    view: dict, bot: BotServer, user: str, text: str, differently: str = "", tags: str = ""
) -> Response:
    values = {
        ids.LEARNING_TEXT_BLOCK: {ids.TEXT_INPUT: {"value": text}},
        ids.LEARNING_DIFFERENTLY_BLOCK: {ids.TEXT_INPUT: {"value": differently or None}},
        ids.LEARNING_TAGS_BLOCK: {ids.TEXT_INPUT: {"value": tags or None}},
    }
    return bot.submit_view(view, values, user=user)


def _shown(reply: Response) -> str:
    """Everything an ephemeral answer shows: its blocks' text."""
    return all_text(reply.json()["blocks"])


def _withdrawn(bot: BotServer, number: int = 1, hypothesis: str = "Retrieval improves accuracy") -> None:
    bot.command("/experiment", f"propose {hypothesis}", user=OWNER)
    reply = bot.command("/experiment", f"withdraw EXP-{number} no longer needed", user=OWNER)
    assert f"Withdrew *EXP-{number}*" in reply.text, reply.text
    bot.delivered()


def test_the_prompt_appears_once_at_close_and_the_modal_records_a_learning(team: BotServer) -> None:
    bot = team
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    review_ts = submit(bot)
    bot.delivered()
    assert _prompts(bot) == []  # not while it is open

    bot.click(CHANNEL, review_ts, ids.REVIEW_REJECT, user=REVIEWERS["business"], value="1:business")
    reason = bot.slack.wait_for("views.open")[-1].args["view"]
    bot.submit_view(reason, {ids.REASON_BLOCK: {ids.REASON_INPUT: {"value": "No case"}}}, user="UBIZ")
    bot.delivered()
    assert len(_prompts(bot)) == 1
    # The rejection and its reason come first; then the prompt asks what we learned.
    replies = [all_text(m.get("blocks")) for m in bot.slack.thread(CHANNEL, card_ts(bot))]
    rejected = next(i for i, text in enumerate(replies) if "rejected EXP-1" in text)
    assert rejected < next(i for i, text in enumerate(replies) if "What did we learn?" in text)
    # A later refresh of the card (a redraw) does not ask again.
    assert "was rejected" in bot.command("/experiment", "promote EXP-1", user=OWNER).text
    bot.delivered()
    assert len(_prompts(bot)) == 1

    view = _open_modal(bot, "U_STRANGER")
    empty = _fill(view, bot, "U_STRANGER", "   ")
    assert empty.json()["response_action"] == "errors"
    assert ids.LEARNING_TEXT_BLOCK in empty.json()["errors"]
    tags = _fill(view, bot, "U_STRANGER", "ok", tags="two words")
    assert "not a tag" in tags.json()["errors"][ids.LEARNING_TAGS_BLOCK]
    loud = _fill(view, bot, "U_STRANGER", "Hear this <!channel>")
    assert "Don't ping" in loud.json()["errors"][ids.LEARNING_TEXT_BLOCK]
    assert _stored(bot) == []

    done = _fill(
        view,
        bot,
        "U_STRANGER",
        "Nobody wanted <https://evil.example|answers>\nsecond line",
        differently="Ask product first",
        tags="Discovery, product",
    )
    assert done.status == 200 and not done.body
    bot.delivered()
    [learning] = _stored(bot)
    assert (learning.author_id, learning.tags) == ("U_STRANGER", "discovery,product")
    _, posted = thread_reply(bot, "recorded a learning")
    shown = all_text(posted["blocks"])
    assert "<@U_STRANGER> recorded a learning on EXP-1" in shown
    assert "Ask product first" in shown and "`#discovery`" in shown
    assert "&lt;https://evil.example|answers&gt;" in shown and "<https" not in shown

    show = _shown(bot.command("/experiment", "show EXP-1", user=OWNER))
    assert "*Learnings* (1)" in show and "Nobody wanted" in show and "<@U_STRANGER>" in show


def test_the_command_records_a_learning_and_refuses_bad_input_storing_nothing(team: BotServer) -> None:
    bot = team
    _withdrawn(bot)
    assert len(_prompts(bot)) == 1

    for text, says in (
        ("learn", "Say which experiment"),
        ("learn EXP-1", "Write what we learned"),
        ("learn EXP-1    ", "Write what we learned"),
        ("learn EXP-9 Something", "There is no experiment EXP-9"),
        ("learn nope Something", "is not an experiment id"),
        (f"learn EXP-1 {'x' * 1501}", "keep it to 1500"),
        ("learn EXP-1 Heads up <!channel>", "Don't ping the whole channel"),
        ("learn EXP-1 Heads up @here", "Don't ping the whole channel"),
    ):
        reply = bot.command("/experiment", text, user=OWNER)
        assert reply.response_type == "ephemeral"
        assert says in reply.text, (text, reply.text)
    assert _stored(bot) == []

    reply = bot.command("/experiment", "learn EXP-1 The eval set leaked into training", user=OWNER)
    assert "Recorded a learning on EXP-1" in reply.text
    bot.delivered()
    [learning] = _stored(bot)
    assert learning.author_id == OWNER and learning.created_at <= utcnow()
    thread_reply(bot, "The eval set leaked into training")


def test_search_finds_by_text_and_by_tag_newest_first(team: BotServer) -> None:
    bot = team
    _withdrawn(bot)
    view = _open_modal(bot, OWNER)
    _fill(view, bot, OWNER, "Reranking doubled latency", tags="Latency, rerank")
    bot.command("/experiment", "learn EXP-1 Chunk size mattered more than the model", user=OWNER)

    by_tag = _shown(bot.command("/experiment", "learnings RERANK", user="UTECH"))
    assert "Reranking doubled latency" in by_tag and "Chunk size" not in by_tag
    by_text = _shown(bot.command("/experiment", "learnings chunk SIZE", user="UTECH"))
    assert "Chunk size mattered" in by_text and "Reranking" not in by_text
    none = _shown(bot.command("/experiment", "learnings blockchain", user="UTECH"))
    assert "Nothing yet" in none
    newest = bot.command("/experiment", "learnings", user="UTECH")
    assert newest.response_type == "ephemeral"
    listed = _shown(newest)
    assert "Newest learnings* (2)" in listed
    assert listed.index("Chunk size") < listed.index("Reranking")


def test_learnings_appear_in_the_next_experiment_review_reminder_once(team: BotServer) -> None:
    bot = team
    bot.slack.add_channel(CHANNEL, "team")
    # Due a few minutes ago (within the grace window: the worker sends it in real time).
    first = (utcnow() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    with bot.db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="UADMIN",
            name="review",
            channel_id=CHANNEL,
            schedule_tokens=["daily", f"{first:%H:%M}", "UTC"],
            default_timezone="UTC",
            now=first - timedelta(minutes=1),
        )
        review = ceremonies.get(session, team_id=TEAM_ID, name="review")
        review.kind = ceremonies.EXPERIMENT_REVIEW
        session.add(review)

    def tick(now: datetime) -> dict:
        before = len(bot.slack.calls_to("chat.postMessage"))
        run_once(bot.settings, bot.db, now=now)
        bot.delivered()
        posted = [
            c.args
            for c in bot.slack.calls_to("chat.postMessage")[before:]
            if "starts now" in str(c.args.get("blocks"))
        ]
        assert posted, "no reminder was posted"
        return posted[-1]

    assert "Learnings since the last review" not in str(tick(first))
    for n in range(12):
        _withdrawn(bot, n + 1, f"Hypothesis number {n}")
        bot.command("/experiment", f"learn EXP-{n + 1} Lesson {n}\nsecond line", user=OWNER)
    second = all_text(tick(first + timedelta(days=1))["blocks"])
    assert "Learnings since the last review* (12)" in second
    assert "EXP-1 · <@U_OWNER>: Lesson 0" in second and "second line" not in second
    assert "Lesson 9" in second and "Lesson 10" not in second
    assert "…and 2 more" in second
    third = all_text(tick(first + timedelta(days=2))["blocks"])
    assert "Learnings since the last review" not in third
