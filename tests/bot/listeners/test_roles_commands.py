"""`/aiteam`: who may change roles, and clear answers for malformed input."""

from __future__ import annotations

import pytest

from storage import roles
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, all_text


def _held(bot: BotServer, user: str) -> set[str]:
    with bot.db.session() as session:
        return roles.roles_of(session, team_id=TEAM_ID, user_id=user)


@pytest.fixture
def people(bot: BotServer) -> BotServer:
    bot.slack.add_user("UOWNER", is_owner=True)
    bot.slack.add_user("UADMIN", is_admin=True)
    bot.slack.add_user("UMEMBER")
    bot.slack.add_user("UTARGET")
    bot.slack.users["UBOTUSER"] = {"id": "UBOTUSER", "is_bot": True}
    return bot


@pytest.mark.parametrize("actor", ["UOWNER", "UADMIN"])
def test_workspace_admins_and_owners_manage_roles(people: BotServer, actor: str) -> None:
    reply = people.command("/aiteam", "role add <@UTARGET|target> technical_lead", user=actor)
    assert reply.response_type == "ephemeral"
    assert "<@UTARGET> now holds `technical_lead`" in reply.text
    assert _held(people, "UTARGET") == {"technical_lead"}
    again = people.command("/aiteam", "role add <@UTARGET> technical_lead", user=actor)
    assert "already holds" in again.text
    removed = people.command("/aiteam", "role remove <@UTARGET> technical_lead", user=actor)
    assert "no longer holds" in removed.text
    assert _held(people, "UTARGET") == set()


def test_anyone_else_is_refused_and_nothing_changes(people: BotServer) -> None:
    reply = people.command("/aiteam", "role add <@UMEMBER> admin", user="UMEMBER")
    assert reply.response_type == "ephemeral"
    assert "Only workspace admins and owners" in reply.text
    assert _held(people, "UMEMBER") == set()


@pytest.mark.parametrize("bot_settings", [{"admin_user_ids": "UMEMBER"}])
def test_admin_user_ids_and_admin_role_holders_manage_roles(people: BotServer) -> None:
    assert "now holds `admin`" in people.command("/aiteam", "role add <@UTARGET> admin", user="UMEMBER").text
    # A holder of `admin` may now grant roles too, without being a workspace admin.
    assert (
        "now holds `security`"
        in people.command("/aiteam", "role add <@UOWNER> security", user="UTARGET").text
    )


def test_an_unreachable_users_info_refuses_rather_than_grants(people: BotServer) -> None:
    people.slack.fail("users.info", "internal_error", times=5)
    reply = people.command("/aiteam", "role add <@UTARGET> security", user="UADMIN")
    assert "I couldn't ask Slack whether you are a workspace admin (internal_error)" in reply.text
    assert _held(people, "UTARGET") == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("role", "Use `/aiteam role add @user &lt;role&gt;`"),
        ("role add UTARGET security", "`UTARGET` is not a person; mention them with @"),
        ("role add <@nobody> security", "is not a person"),
        ("role add <#C123|general> security", "is not a person"),
        ("role add <@UTARGET> wizard", "`wizard` is not a role. Valid roles are team: ml_engineer"),
        ("role add <@UTARGET>", "Name one role. Valid roles are"),
        ("role add <@UTARGET> security admin", "Name one role"),
        ("role grant <@UTARGET> security", "`grant` is not add or remove"),
        ("role add <@UGHOST> security", "I can't find that person"),
        ("role add <@UBOTUSER> security", "Bots can't hold roles"),
        ("role remove <@UTARGET> security", "They don't hold `security`"),
        ("promote everyone", "Unknown subcommand `promote`"),
    ],
)
def test_malformed_role_commands_say_what_is_wrong(people: BotServer, text: str, expected: str) -> None:
    reply = people.command("/aiteam", text, user="UADMIN")
    assert reply.response_type == "ephemeral"
    assert expected in reply.text
    assert _held(people, "UTARGET") == set()


def test_roles_lists_every_role_with_its_holders(people: BotServer) -> None:
    people.command("/aiteam", "role add <@UTARGET> ethics_reviewer", user="UADMIN")
    people.command("/aiteam", "role add <@UMEMBER> ethics_reviewer", user="UADMIN")
    text = all_text(people.command("/aiteam", "roles", user="UMEMBER").json()["blocks"])
    assert "`ethics_reviewer`: <@UTARGET>, <@UMEMBER>" in text
    for title in ("Team", "Review board", "Production sign-off", "Administration"):
        assert title in text
    assert "`security`: _nobody_" in text
