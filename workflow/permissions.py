"""Who may do what: roles, ownership and separation of duties."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlmodel import Session

from storage import roles
from storage.models import Experiment
from workflow import vocabulary as v
from workflow.errors import NotAllowed
from workflow.experiments import ref


@dataclass(frozen=True)
class Policy:
    """The workspace's rules that come from settings rather than from the database."""

    allow_self_approval: bool = False
    admin_user_ids: Collection[str] = field(default_factory=frozenset)
    # REQUIRE_BIAS_CHECK: the ethics review is approved only after a passed bias check.
    require_bias_check: bool = False
    # MLFLOW_PROMOTE_ALIAS: the registry alias the bot sets on the model version of an
    # experiment that reaches production; None: the bot never writes to the registry.
    promote_alias: str | None = None


def role_label(role: str) -> str:
    return f"`{role}`"


def require_role(session: Session, experiment: Experiment, user_id: str, role: v.Role, step: str) -> None:
    if not roles.has_role(session, team_id=experiment.team_id, user_id=user_id, role=role):
        raise NotAllowed(
            f"Only holders of the {role_label(role)} role may {step}. "
            f"An admin can grant it with `/aiteam role add @you {role}`; `/aiteam roles` shows who holds it."
        )


def require_owner(experiment: Experiment, user_id: str, step: str) -> None:
    if user_id != experiment.owner_id:
        raise NotAllowed(f"Only the owner of {ref(experiment.number)} may {step}.")


def require_not_owner(experiment: Experiment, user_id: str, step: str, policy: Policy) -> None:
    """Separation of duties: nobody reviews or signs off their own experiment."""
    if user_id == experiment.owner_id and not policy.allow_self_approval:
        raise NotAllowed(
            f"You can't {step}: {ref(experiment.number)} is your own experiment, and someone else "
            "must review and approve it."
        )


def may_manage_roles(
    session: Session, *, team_id: str, user_id: str, workspace_admin: bool, policy: Policy
) -> bool:
    """Slack workspace admins and owners, `ADMIN_USER_IDS`, and holders of `admin`."""
    return (
        workspace_admin
        or user_id in policy.admin_user_ids
        or roles.has_role(session, team_id=team_id, user_id=user_id, role=v.Role.ADMIN)
    )
