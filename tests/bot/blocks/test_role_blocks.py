"""The roster lists every role; answers to role changes say what changed."""

from __future__ import annotations

from bot.blocks.roles import role_changed, roster_view
from tests.harness import all_text
from workflow import vocabulary as v


def test_the_roster_lists_every_role_and_who_holds_it() -> None:
    payload = roster_view({"security": ["U1", "U2"], v.Role.ADMIN: ["U3"]})
    text = all_text(payload["blocks"])
    for role in v.Role:
        assert f"`{role}`: " in text
    assert "`security`: <@U1>, <@U2>" in text and f"`{v.Role.ADMIN}`: <@U3>" in text
    assert "`technical_lead`: _nobody_" in text
    assert payload["text"] == "Team roles: 3 assignments"


def test_role_changes() -> None:
    assert role_changed("add", user_id="U1", role="security", changed=True) == (
        ":white_check_mark: <@U1> now holds `security`."
    )
    assert role_changed("add", user_id="U1", role="security", changed=False).startswith(
        ":information_source:"
    )
    assert "no longer holds" in role_changed("remove", user_id="U1", role="security", changed=True)
