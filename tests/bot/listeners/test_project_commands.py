"""`/project` over signed HTTP with the fake Slack, on SQLite and PostgreSQL: the plan built from
Slack, the card updated in place, and every refusal answered privately with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot import ids
from storage.db import Database
from storage.models import (
    AuditEvent,
    Delivery,
    Experiment,
    Milestone,
    Project,
    ProjectExperiment,
    ProjectMember,
)
from storage.types import utcnow
from tests.bot.listeners.review_helpers import CHANNEL, OWNER, card_ts
from tests.harness import BotServer, all_text


def _in_days(days: int) -> str:
    """A date `days` from today, reckoned when the test runs: a date taken at import goes stale
    when the run crosses midnight."""
    return (utcnow() + timedelta(days=days)).date().isoformat()


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


def _project_cards(bot: BotServer) -> list[tuple[str, dict]]:
    return [
        (ts, m)
        for (channel, ts), m in bot.slack.messages.items()
        if channel == CHANNEL and "thread_ts" not in m and "Project support-bot" in all_text(m["blocks"])
    ]


def _card(bot: BotServer) -> str:
    bot.delivered()
    cards = _project_cards(bot)
    assert len(cards) == 1, "the project card is posted once"
    return all_text(cards[0][1]["blocks"])


def test_a_plan_built_from_slack_keeps_one_card_up_to_date(team: BotServer) -> None:
    bot = team
    reply = bot.command("/project", "create support-bot", user=OWNER)
    assert reply.response_type == "ephemeral" and "created" in reply.text
    assert "experimentation" in _card(bot)

    reply = bot.command("/project", "member add support-bot <@UTECH|utech> <@UBIZ>", user=OWNER)
    assert "added to" in reply.text
    reply = bot.command(
        "/project", f"milestone add support-bot {_in_days(6)} Pilot with support team", user="UTECH"
    )
    assert "M1 added" in reply.text
    bot.command("/project", f"milestone add support-bot {_in_days(30)} Launch", user=OWNER)
    bot.command("/experiment", "propose Retrieval improves answers", user=OWNER)
    reply = bot.command("/project", "link support-bot EXP-1", user=OWNER)
    assert "linked to" in reply.text

    text = _card(bot)
    assert "<@UTECH> (technical_reviewer)" in text
    assert "M1* Pilot with support team" in text and "due in 6 days" in text
    assert "0 of 1 experiments in production" in text
    assert 'next milestone M1 "Pilot with support team" in 6 days' in text
    assert "EXP-1" in text and "proposed" in text
    assert bot.slack.calls_to("chat.update"), "later changes update the card in place"

    bot.command("/project", "milestone done support-bot M1", user="UBIZ")
    assert ":white_check_mark: done" in _card(bot)

    show = bot.command("/project", "show support-bot", user="U_STRANGER")
    assert show.response_type == "ephemeral" and "Pilot with support team" in show.body
    history = bot.command("/project", "history support-bot", user=OWNER)
    assert "project:milestone_done" in history.body
    assert "support-bot" in bot.command("/project", "list mine", user="UTECH").body
    assert "Serves project" in bot.command("/experiment", "show EXP-1", user=OWNER).body


def test_an_experiments_status_change_updates_its_project_card(team: BotServer) -> None:
    bot = team
    bot.command("/project", "create support-bot", user=OWNER)
    bot.command("/experiment", "propose Retrieval improves answers", user=OWNER)
    bot.command("/project", "link support-bot EXP-1", user=OWNER)
    assert "proposed" in _card(bot)
    card_ts(bot)
    bot.command("/experiment", "withdraw EXP-1 not needed", user=OWNER)
    assert "withdrawn" in _card(bot)


def _rows(db: Database) -> tuple[int, ...]:
    with db.read() as session:
        return tuple(
            session.exec(select(func.count()).select_from(t)).one()
            for t in (Project, ProjectMember, Milestone, ProjectExperiment, AuditEvent, Delivery)
        )


REFUSALS = [
    ("unknown project", OWNER, "show nope", "There is no project `nope`"),
    ("duplicate name", "UTECH", "create SUPPORT-BOT", "already a project called"),
    ("name with spaces", OWNER, "create support bot team", "no spaces"),
    ("name too long", OWNER, "create " + "x" * 41, "at most 40 characters"),
    ("date not YYYY-MM-DD", OWNER, "milestone add support-bot 1/2/2027 Pilot", "YYYY-MM-DD"),
    ("date in the past", OWNER, "milestone add support-bot 2020-01-01 Pilot", "is in the past"),
    ("unknown milestone", OWNER, "milestone done support-bot M7", "has no milestone M7"),
    ("linked to another project", OWNER, "link support-bot EXP-1", "already belongs to project fraud-model"),
    ("non-member changing milestones", "U_STRANGER", "milestone add support-bot {soon} X", "Only members"),
    ("non-owner archiving", "UTECH", "archive support-bot", "Only the owner of support-bot"),
    ("a mention that is not a user", OWNER, "member add support-bot <#C123|general>", "is not a person"),
    ("pinging @channel", OWNER, "milestone add support-bot {soon} Go <!channel>", "can't ping"),
]


@pytest.mark.parametrize(("label", "user", "text", "answer"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_answer_privately_and_write_nothing(
    team: BotServer, db: Database, label: str, user: str, text: str, answer: str
) -> None:
    bot = team
    bot.command("/project", "create support-bot", user=OWNER)
    bot.command("/project", "create fraud-model", user=OWNER)
    bot.command("/project", "member add support-bot <@UTECH>", user=OWNER)
    bot.command("/experiment", "propose Retrieval improves answers", user=OWNER)
    bot.command("/project", "link fraud-model EXP-1", user=OWNER)
    bot.delivered()
    before = _rows(db)
    reply = bot.command("/project", text.format(soon=_in_days(6)), user=user)
    assert reply.response_type == "ephemeral"
    assert answer in reply.text, reply.text
    assert _rows(db) == before


def test_a_project_card_the_bot_cannot_post_is_shown_in_project_show(team: BotServer) -> None:
    bot = team
    bot.delivered()
    bot.slack.fail("chat.postMessage", "not_in_channel")
    assert "created" in bot.command("/project", "create support-bot", user=OWNER).text
    bot.delivered()
    detail = bot.command("/project", "show support-bot", user="U_STRANGER").body
    assert "couldn't deliver the card of project support-bot" in detail and "/invite" in detail
    assert "Project support-bot" in detail, "the project itself is still shown"

    bot.command("/project", f"milestone add support-bot {_in_days(6)} Pilot", user=OWNER)
    assert "Pilot" in _card(bot), "the next change posts the card"
    assert "couldn't deliver" not in bot.command("/project", "show support-bot", user=OWNER).body


def test_slack_workspace_admins_may_do_what_the_owner_may_and_slack_is_asked_only_then(
    team: BotServer, db: Database
) -> None:
    bot = team
    bot.slack.add_user("UWSADMIN", is_admin=True)
    bot.slack.add_user("UWSOWNER", is_owner=True)
    bot.slack.add_user("UPLAIN")
    bot.slack.calls.clear()  # building the team asked Slack about its people
    bot.command("/project", "create support-bot", user=OWNER)
    bot.command("/project", "member add support-bot <@UTECH>", user=OWNER)
    assert not bot.slack.calls_to("users.info"), "the owner is decided by the database alone"

    reply = bot.command("/project", "member add support-bot <@UBIZ>", user="UWSADMIN")
    assert "added to" in reply.text, reply.text
    assert [c.args["user"] for c in bot.slack.calls_to("users.info")] == ["UWSADMIN"]
    reply = bot.command("/project", "member remove support-bot <@UTECH>", user="UWSOWNER")
    assert "removed from" in reply.text, reply.text

    bot.delivered()
    before = _rows(db)
    reply = bot.command("/project", "archive support-bot", user="UPLAIN")
    assert reply.response_type == "ephemeral" and "Only the owner of support-bot" in reply.text
    assert _rows(db) == before

    bot.slack.fail("users.info", "ratelimited")
    reply = bot.command("/project", "archive support-bot", user="UWSADMIN")
    assert "couldn't ask Slack whether you are a workspace admin" in reply.text
    assert _rows(db) == before

    reply = bot.command("/project", "archive support-bot", user="UWSADMIN")
    assert "is archived" in reply.text, reply.text


def _text(value: str) -> dict:
    return {ids.TEXT_INPUT: {"type": "plain_text_input", "value": value}}


def _select(action_id: str, value: str | None) -> dict:
    return {action_id: {"type": "static_select", "selected_option": {"value": value} if value else None}}


def test_create_without_text_opens_a_modal_with_inline_field_errors(team: BotServer, db: Database) -> None:
    bot = team
    bot.command("/project", "create fraud-model", user=OWNER)
    bot.delivered()
    reply = bot.command("/project", "create", user=OWNER)
    assert reply.status == 200
    view = bot.slack.wait_for("views.open")[-1].args["view"]
    assert view["callback_id"] == ids.PROJECT_CREATE_MODAL and view["private_metadata"] == CHANNEL
    before = _rows(db)

    def submit(name: str, description: str = "", members: list[str] | None = None) -> dict:
        values = {
            ids.PROJECT_NAME_BLOCK: _text(name),
            ids.WORKSTREAM_BLOCK: _select(ids.WORKSTREAM_INPUT, "production"),
            ids.PROJECT_DESCRIPTION_BLOCK: _text(description),
            ids.PROJECT_MEMBERS_BLOCK: {
                ids.USERS_INPUT: {"type": "multi_users_select", "selected_users": members or []}
            },
        }
        return bot.submit_view(view, values, user=OWNER).json() or {}

    for name, description, block, expected in [
        ("support bot", "", ids.PROJECT_NAME_BLOCK, "no spaces"),
        ("x" * 41, "", ids.PROJECT_NAME_BLOCK, "at most 40 characters"),
        ("FRAUD-MODEL", "", ids.PROJECT_NAME_BLOCK, "already a project called"),
        ("support-bot", "Ship it <!channel>", ids.PROJECT_DESCRIPTION_BLOCK, "can't ping"),
    ]:
        body = submit(name, description)
        assert body.get("response_action") == "errors", (name, body)
        assert expected in body["errors"][block]
    assert _rows(db) == before, "a refused form stores nothing"

    assert submit("support-bot", "Answers support tickets", ["UTECH", "UBIZ"]) == {}
    text = _card(bot)
    assert "Project support-bot · production" in text and "Answers support tickets" in text
    assert "<@UTECH>" in text and "<@UBIZ>" in text and f"*Owner*\n<@{OWNER}>" in text
    confirm = bot.slack.wait_for("chat.postEphemeral")[-1]
    assert confirm.args["user"] == OWNER and "Project *support-bot* created" in confirm.args["text"]


def test_propose_with_a_project_prefix_links_at_proposal(team: BotServer, db: Database) -> None:
    bot = team
    bot.command("/project", "create support-bot optimization", user=OWNER)
    reply = bot.command("/experiment", "propose project:Support-Bot Distillation halves cost", user="UTECH")
    assert "EXP-1" in reply.text, reply.text
    text = _card(bot)
    assert "EXP-1" in text and "proposed" in text
    shown = bot.command("/experiment", "show EXP-1", user=OWNER).body
    assert "Serves project" in shown and "Distillation halves cost" in shown
    assert "optimization" in shown, "it takes the project's workstream"
    assert "project:linked: EXP-1" in bot.command("/project", "history support-bot", user=OWNER).body

    bot.delivered()
    before = _rows(db)
    reply = bot.command("/experiment", "propose project:nope Something else", user=OWNER)
    assert reply.response_type == "ephemeral" and "There is no project `nope`" in reply.text
    reply = bot.command("/experiment", "propose project: Something else", user=OWNER)
    assert "Name the project" in reply.text
    assert _rows(db) == before
    with db.read() as session:
        assert session.exec(select(func.count()).select_from(Experiment)).one() == 1


def test_the_propose_modal_offers_the_active_projects(team: BotServer, db: Database) -> None:
    bot = team
    bot.command("/project", "create support-bot", user=OWNER)
    bot.command("/project", "create old-idea", user=OWNER)
    bot.command("/project", "archive old-idea", user=OWNER)
    bot.command("/experiment", "propose", user=OWNER)
    view = bot.slack.wait_for("views.open")[-1].args["view"]
    (select_block,) = [b for b in view["blocks"] if b["block_id"] == ids.PROJECT_BLOCK]
    assert select_block["optional"] is True
    assert [o["value"] for o in select_block["element"]["options"]] == ["support-bot"]
    values = {
        ids.HYPOTHESIS_BLOCK: {ids.HYPOTHESIS_INPUT: {"type": "plain_text_input", "value": "Rerank helps"}},
        ids.WORKSTREAM_BLOCK: _select(ids.WORKSTREAM_INPUT, "experimentation"),
        ids.PROJECT_BLOCK: _select(ids.PROJECT_INPUT, "support-bot"),
    }
    assert bot.submit_view(view, values, user=OWNER).json() in (None, {})
    assert "Rerank helps" in _card(bot)

    bot.command("/project", "archive support-bot", user=OWNER)
    bot.delivered()
    before = _rows(db)
    body = bot.submit_view(view, values, user=OWNER).json()
    assert body["response_action"] == "errors" and "archived" in body["errors"][ids.PROJECT_BLOCK]
    assert _rows(db) == before

    values[ids.PROJECT_BLOCK] = _select(ids.PROJECT_INPUT, None)
    assert bot.submit_view(view, values, user=OWNER).json() in (None, {})
    bot.delivered()
    shown = bot.command("/experiment", "show EXP-2", user=OWNER).body
    assert "Rerank helps" in shown and "Serves project" not in shown, "no project: proposed on its own"
