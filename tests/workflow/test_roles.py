"""Team roles: granting, revoking, the roster, who may manage them, and parsing role names."""

from __future__ import annotations

import pytest

from storage import roles as stored
from storage.db import Database
from tests.fakeslack import TEAM_ID
from tests.workflow.review_steps import (
    POLICY,
    audit_count,
    decide,
    grant,
    in_review_experiment,
    refused,
    workspace_events,
)
from workflow import roles
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.permissions import Policy, may_manage_roles

MANAGER = "U_MANAGER"


def _grant(
    db: Database,
    user: str,
    role: str,
    *,
    actor: str = MANAGER,
    workspace_admin: bool = True,
    policy: Policy = POLICY,
) -> bool:
    with db.session() as session:
        return roles.grant(
            session,
            team_id=TEAM_ID,
            actor_id=actor,
            user_id=user,
            role=role,
            workspace_admin=workspace_admin,
            policy=policy,
        )


def _revoke(
    db: Database,
    user: str,
    role: str,
    *,
    actor: str = MANAGER,
    workspace_admin: bool = True,
    policy: Policy = POLICY,
) -> None:
    with db.session() as session:
        roles.revoke(
            session,
            team_id=TEAM_ID,
            actor_id=actor,
            user_id=user,
            role=role,
            workspace_admin=workspace_admin,
            policy=policy,
        )


def _roster(db: Database, team_id: str = TEAM_ID) -> dict[str, list[str]]:
    with db.session() as session:
        return roles.roster(session, team_id=team_id)


def _may_manage(db: Database, user: str, *, workspace_admin: bool = False, policy: Policy = POLICY) -> bool:
    with db.session() as session:
        return may_manage_roles(
            session, team_id=TEAM_ID, user_id=user, workspace_admin=workspace_admin, policy=policy
        )


def _held(db: Database) -> dict[str, list[str]]:
    """The roles someone holds, leaving out the empty ones."""
    return {role: users for role, users in _roster(db).items() if users}


def test_granting_a_role_records_it_and_who_granted_it(db: Database) -> None:
    assert _grant(db, "U_ANA", "security") is True
    assert _held(db) == {"security": ["U_ANA"]}
    with db.session() as session:
        (assignment,) = stored.all_assignments(session, team_id=TEAM_ID)
        assert (assignment.user_id, assignment.role, assignment.granted_by) == ("U_ANA", "security", MANAGER)
    assert workspace_events(db) == [("role:add", MANAGER, "security to U_ANA")]


def test_granting_a_role_already_held_changes_nothing(db: Database) -> None:
    _grant(db, "U_ANA", "security")
    assert _grant(db, "U_ANA", "security", actor="U_OTHER_ADMIN") is False
    assert _held(db) == {"security": ["U_ANA"]}
    assert workspace_events(db) == [("role:add", MANAGER, "security to U_ANA")]


def test_revoking_a_role_removes_it_with_an_audit_record(db: Database) -> None:
    _grant(db, "U_ANA", "security")
    _grant(db, "U_ANA", "technical_lead")
    _revoke(db, "U_ANA", "security")
    assert _held(db) == {"technical_lead": ["U_ANA"]}
    assert workspace_events(db)[-1] == ("role:remove", MANAGER, "security from U_ANA")


def test_revoking_a_role_not_held_is_not_found_and_writes_nothing(db: Database) -> None:
    _grant(db, "U_ANA", "security")
    events = audit_count(db)
    with pytest.raises(NotFound) as info:
        _revoke(db, "U_ANA", "product_owner")
    assert type(info.value) is NotFound
    assert str(info.value) == (
        "They don't hold `product_owner`; nothing changed. `/aiteam roles` shows who holds what."
    )
    with pytest.raises(NotFound, match="They don't hold `security`"):
        _revoke(db, "U_BEN", "security")
    assert _held(db) == {"security": ["U_ANA"]}
    assert audit_count(db) == events


def test_the_roster_lists_every_role_in_order_with_its_holders(db: Database) -> None:
    _grant(db, "U_ANA", "security")
    _grant(db, "U_BEN", "ml_engineer")
    _grant(db, "U_CAL", "ml_engineer")
    _grant(db, "U_ANA", "admin")
    roster = _roster(db)
    assert list(roster) == list(v.Role)
    assert roster["ml_engineer"] == ["U_BEN", "U_CAL"]
    assert roster["security"] == ["U_ANA"]
    assert roster["admin"] == ["U_ANA"]
    assert all(roster[role] == [] for role in v.Role if role not in ("ml_engineer", "security", "admin"))


def test_roles_belong_to_one_workspace(db: Database) -> None:
    _grant(db, "U_ANA", "security")
    assert _roster(db, "T_ELSEWHERE")["security"] == []
    with db.session() as session:
        assert stored.roles_of(session, team_id="T_ELSEWHERE", user_id="U_ANA") == set()
        assert stored.roles_of(session, team_id=TEAM_ID, user_id="U_ANA") == {"security"}


def test_revoking_a_reviewer_role_takes_the_right_to_review_away(db: Database) -> None:
    _grant(db, "U_TECH", "technical_reviewer")
    number = in_review_experiment(db)
    _revoke(db, "U_TECH", "technical_reviewer")
    with refused(db, number, NotAllowed, "Only holders of the `technical_reviewer` role"):
        decide(db, number, "technical", actor="U_TECH")


# Who may manage roles


def test_workspace_admins_may_manage_roles(db: Database) -> None:
    assert _may_manage(db, "U_WS_ADMIN", workspace_admin=True) is True
    assert _grant(db, "U_ANA", "security", actor="U_WS_ADMIN", workspace_admin=True) is True


def test_people_in_admin_user_ids_may_manage_roles(db: Database) -> None:
    policy = Policy(allow_self_approval=False, admin_user_ids=frozenset({"U_BOSS"}))
    assert _may_manage(db, "U_BOSS", policy=policy) is True
    assert _may_manage(db, "U_BOSS") is False
    assert _grant(db, "U_ANA", "security", actor="U_BOSS", workspace_admin=False, policy=policy) is True
    _revoke(db, "U_ANA", "security", actor="U_BOSS", workspace_admin=False, policy=policy)
    assert _held(db) == {}


def test_holders_of_admin_may_manage_roles(db: Database) -> None:
    assert _may_manage(db, "U_ANA") is False
    grant(db, "U_ANA", "admin")
    assert _may_manage(db, "U_ANA") is True
    assert _grant(db, "U_BEN", "security", actor="U_ANA", workspace_admin=False) is True
    assert _held(db) == {"security": ["U_BEN"], "admin": ["U_ANA"]}


def test_holding_another_role_does_not_make_a_manager(db: Database) -> None:
    grant(db, "U_ANA", "technical_lead", "security", "product_manager")
    assert _may_manage(db, "U_ANA") is False


def test_role_changes_by_a_non_manager_are_refused_and_write_nothing(db: Database) -> None:
    _grant(db, "U_ANA", "security")
    held, events = _held(db), audit_count(db)
    says = "Only workspace admins and owners, the people in ADMIN_USER_IDS, and holders of the `admin` role"
    with pytest.raises(NotAllowed, match=says):
        _grant(db, "U_NOBODY", "admin", actor="U_NOBODY", workspace_admin=False)
    with pytest.raises(NotAllowed, match=says):
        _revoke(db, "U_ANA", "security", actor="U_NOBODY", workspace_admin=False)
    # Checked before anything else: a non-manager revoking a role nobody holds is still NotAllowed.
    with pytest.raises(NotAllowed, match=says):
        _revoke(db, "U_BEN", "security", actor="U_NOBODY", workspace_admin=False)
    assert _held(db) == held
    assert audit_count(db) == events


# Role names


@pytest.mark.parametrize(
    "text, role",
    [
        ("Technical_Lead", "technical_lead"),
        ("technical-lead", "technical_lead"),
        ("  SECURITY ", "security"),
        ("ethics-REVIEWER", "ethics_reviewer"),
        ("admin", "admin"),
    ],
)
def test_parse_role_accepts_any_case_and_hyphens(text: str, role: str) -> None:
    assert roles.parse_role(text) == role


@pytest.mark.parametrize("text", ["wizard", "", "technical lead", "tech_lead", "reviewer"])
def test_parse_role_refuses_unknown_roles_listing_the_valid_ones(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        roles.parse_role(text)
    assert type(info.value) is InvalidInput
    assert str(info.value) == (
        f"`{text}` is not a role. Valid roles are "
        "team: ml_engineer, prompt_engineer, data_engineer, platform_engineer, product_manager; "
        "review board: technical_reviewer, ethics_reviewer, business_reviewer; "
        "production sign-off: technical_lead, product_owner, security; "
        "administration: admin."
    )


def test_every_role_is_valid_and_in_exactly_one_group() -> None:
    grouped = [role for _, group in roles.ROLE_GROUPS for role in group]
    assert sorted(grouped) == sorted(v.Role)
    assert len(grouped) == len(set(grouped)) == 12
    assert all(roles.parse_role(role) == role for role in v.Role)
