"""`/aiteam roles` and `/aiteam role add|remove @user <role>`."""

from __future__ import annotations

import re

from bot.blocks.roles import role_changed, roster_view
from bot.listeners.commands.admins import is_workspace_admin, slack_user
from bot.listeners.commands.router import CommandRequest
from bot.text import parse_user
from workflow import roles
from workflow.errors import InvalidInput
from workflow.permissions import may_manage_roles

# `add <@U123|name with spaces> technical_lead`: the mention may hold spaces, so split around it.
_CHANGE = re.compile(r"^(\S+)\s+(<[^>]*>|\S+)\s*(.*)$")
USAGE = "`/aiteam role add @user <role>` or `/aiteam role remove @user <role>`"


def show_roles(request: CommandRequest) -> None:
    with request.services.db.read() as session:
        held = roles.roster(session, team_id=request.team_id)
    payload = roster_view(held)
    request.reply(payload["text"], payload["blocks"])


def _authority(request: CommandRequest) -> tuple[bool, bool]:
    """Whether the person may manage roles, and whether that is as a workspace admin; Slack is
    asked only when the bot's own roles and settings do not already allow it."""
    with request.services.db.read() as session:
        if may_manage_roles(
            session,
            team_id=request.team_id,
            user_id=request.user_id,
            workspace_admin=False,
            policy=request.services.policy,
        ):
            return True, False
    workspace_admin = is_workspace_admin(request)
    return workspace_admin, workspace_admin


def change_role(request: CommandRequest) -> None:
    match = _CHANGE.match(request.rest)
    if not match:
        raise InvalidInput(f"Use {USAGE}.")
    verb, mention, role_text = match.group(1).lower(), match.group(2), match.group(3).strip()
    if verb not in ("add", "remove"):
        raise InvalidInput(f"`{verb[:20]}` is not add or remove. Use {USAGE}.")
    user_id = parse_user(mention)
    if user_id is None:
        raise InvalidInput(f"`{mention[:40]}` is not a person; mention them with @, e.g. {USAGE}.")
    if not role_text or len(role_text.split()) != 1:
        raise InvalidInput(f"Name one role. Valid roles are {roles.valid_roles_text()}.")
    role = roles.parse_role(role_text)
    request.later(lambda r: _change(r, verb=verb, user_id=user_id, role=role))


def _change(request: CommandRequest, *, verb: str, user_id: str, role: str) -> None:
    """The part that asks Slack: whether the actor is a workspace admin, who the person is."""
    may_manage, workspace_admin = _authority(request)
    if verb == "add":
        # Refuse a non-manager before asking Slack about the person (the change itself checks
        # again, in its transaction); never hold a transaction open across a Slack call.
        if not may_manage:
            raise roles.not_a_manager()
        target = slack_user(request, user_id)
        if target is None or target.get("deleted"):
            raise InvalidInput("I can't find that person in this workspace.")
        if target.get("is_bot"):
            raise InvalidInput("Bots can't hold roles; mention a person.")
    with request.services.db.session() as session:
        change = roles.grant if verb == "add" else roles.revoke
        changed = change(
            session,
            team_id=request.team_id,
            actor_id=request.user_id,
            user_id=user_id,
            role=role,
            workspace_admin=workspace_admin,
            policy=request.services.policy,
        )
    request.reply(role_changed(verb, user_id=user_id, role=role, changed=changed))
