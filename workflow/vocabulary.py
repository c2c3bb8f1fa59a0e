"""The fixed vocabulary of the workflow: statuses, workstreams, reviews, checklist, roles.

The enums of values stored in columns live in `storage/vocabulary.py` and are re-exported here;
what is only the workflow's (workstreams, the checklist, limits, decisions) is defined here."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, TypeVar

from storage.vocabulary import (
    Action,
    AuditAction,
    EvidenceRole,
    Gate,
    ProjectAction,
    ReviewKind,
    ReviewState,
    Role,
    SignOff,
    Status,
    Step,
)

E = TypeVar("E", bound=StrEnum)

__all__ = [
    "APPROVER_ROLES",
    "CHECKLIST",
    "CLOSED_STATUSES",
    "CORE_ROLES",
    "OPEN_STATUSES",
    "REVIEWER_ROLE",
    "SCHEDULER",
    "Action",
    "AuditAction",
    "Decision",
    "EvidenceRole",
    "Gate",
    "ProjectAction",
    "ReviewKind",
    "ReviewState",
    "Role",
    "SignOff",
    "Status",
    "Step",
    "parse",
]

# The actor of what the scheduler does on its own (an expiry), in the audit trail.
SCHEDULER: Final = "scheduler"
CLOSED_STATUSES: Final = frozenset({Status.PRODUCTION, Status.REJECTED, Status.WITHDRAWN})
OPEN_STATUSES: Final = tuple(s for s in Status if s not in CLOSED_STATUSES)

# Workstream → default timeline estimate in weeks.
WORKSTREAMS: Final = {
    "experimentation": 2,
    "production": 4,
    "optimization": 3,
    "governance": 3,
}
DEFAULT_WORKSTREAM: Final = "experimentation"

CHECKLIST: Final = {
    "model_performance": "Model performance meets threshold",
    "safety_evaluation": "Safety evaluation passed",
    "cost_projection": "Cost projection acceptable",
    "documentation": "Documentation complete",
    "rollback_plan": "Rollback plan defined",
}

# Who signs off a promotion to production.
APPROVER_ROLES: Final = (Role.TECHNICAL_LEAD, Role.PRODUCT_OWNER, Role.SECURITY)
# Which role may decide which review.
REVIEWER_ROLE: Final = {
    ReviewKind.TECHNICAL: Role.TECHNICAL_REVIEWER,
    ReviewKind.ETHICS: Role.ETHICS_REVIEWER,
    ReviewKind.BUSINESS: Role.BUSINESS_REVIEWER,
}
CORE_ROLES: Final = (
    Role.ML_ENGINEER,
    Role.PROMPT_ENGINEER,
    Role.DATA_ENGINEER,
    Role.PLATFORM_ENGINEER,
    Role.PRODUCT_MANAGER,
)

HYPOTHESIS_MAX_CHARS: Final = 1500
# Escaped artifacts must still fit one 3000-character section of the review message.
ARTIFACTS_MAX_CHARS: Final = 2000
REASON_MAX_CHARS: Final = 1000


class Decision(StrEnum):
    """What a reviewer (or a sign-off holder, for `REJECT`) decides."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


def parse(enum: type[E], text: str) -> E | None:
    """The member of `enum` whose value is `text`, or None: for values from outside (a click, a
    command) checked once at the workflow's door, typed from there on."""
    try:
        return enum(text)
    except ValueError:
        return None


def transition_detail(previous: str, target: str, why: str | None = None) -> str:
    """The detail of a status change's audit record: `in_review → rejected: <why>`."""
    return f"{previous} → {target}" + (f": {why}" if why else "")


def review_decision(kind: str, reason: str) -> str:
    """Why a review decision changed the status (changes requested, rejected): `ethics review: <reason>`."""
    return f"{kind} review: {reason}"
