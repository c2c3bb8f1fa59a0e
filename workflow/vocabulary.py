"""The fixed vocabulary of the workflow: statuses, workstreams, reviews, checklist, roles."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# Lifecycle: proposed → in_review → reviewed → approved → production, with side exits.
PROPOSED: Final = "proposed"
IN_REVIEW: Final = "in_review"
CHANGES_REQUESTED: Final = "changes_requested"
REVIEWED: Final = "reviewed"
APPROVED: Final = "approved"
PRODUCTION: Final = "production"
REJECTED: Final = "rejected"
WITHDRAWN: Final = "withdrawn"
STATUSES: Final = (
    PROPOSED,
    IN_REVIEW,
    CHANGES_REQUESTED,
    REVIEWED,
    APPROVED,
    PRODUCTION,
    REJECTED,
    WITHDRAWN,
)
CLOSED_STATUSES: Final = frozenset({PRODUCTION, REJECTED, WITHDRAWN})

# Workstream → default timeline estimate in weeks.
WORKSTREAMS: Final = {
    "experimentation": 2,
    "production": 4,
    "optimization": 3,
    "governance": 3,
}
DEFAULT_WORKSTREAM: Final = "experimentation"

REVIEW_KINDS: Final = ("technical", "ethics", "business")
REVIEW_PENDING: Final = "pending"
REVIEW_APPROVED: Final = "approved"
REVIEW_CHANGES_REQUESTED: Final = "changes_requested"
REVIEW_REJECTED: Final = "rejected"

CHECKLIST: Final = {
    "model_performance": "Model performance meets threshold",
    "safety_evaluation": "Safety evaluation passed",
    "cost_projection": "Cost projection acceptable",
    "documentation": "Documentation complete",
    "rollback_plan": "Rollback plan defined",
}

# Who signs off a promotion to production.
APPROVER_ROLES: Final = ("technical_lead", "product_owner", "security")
# Which role may decide which review.
REVIEWER_ROLE: Final = {kind: f"{kind}_reviewer" for kind in REVIEW_KINDS}
CORE_ROLES: Final = (
    "ml_engineer",
    "prompt_engineer",
    "data_engineer",
    "platform_engineer",
    "product_manager",
)
ADMIN_ROLE: Final = "admin"
ROLES: Final = (*CORE_ROLES, *REVIEWER_ROLE.values(), *APPROVER_ROLES, ADMIN_ROLE)

HYPOTHESIS_MAX_CHARS: Final = 1500
# Escaped artifacts must still fit one 3000-character section of the review message.
ARTIFACTS_MAX_CHARS: Final = 2000
REASON_MAX_CHARS: Final = 1000


class Decision(StrEnum):
    """What a reviewer (or a sign-off holder, for `REJECT`) decides."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


class AuditAction(StrEnum):
    """The `action` of an audit record. Steps about one review, role or status are built by
    `status_action`, `review_action` and `signoff_action` from these prefixes."""

    PROPOSED = "proposed"
    CHECKLIST = "checklist"
    METRICS = "metrics"
    STATUS = "status"
    REVIEW = "review"
    SIGNOFF = "sign-off"
    ROLE_ADD = "role:add"
    ROLE_REMOVE = "role:remove"
    CEREMONY_ADDED = "ceremony_added"
    CEREMONY_EDITED = "ceremony_edited"
    CEREMONY_PAUSED = "ceremony_paused"
    CEREMONY_RESUMED = "ceremony_resumed"
    CEREMONY_REMOVED = "ceremony_removed"
    CEREMONY_RUN = "ceremony_run"


def status_action(target: str) -> str:
    return f"{AuditAction.STATUS}:{target}"


def review_action(kind: str) -> str:
    return f"{AuditAction.REVIEW}:{kind}"


def signoff_action(role: str) -> str:
    return f"{AuditAction.SIGNOFF}:{role}"


def transition_detail(previous: str, target: str, why: str | None = None) -> str:
    """The detail of a status change's audit record: `in_review → rejected: <why>`."""
    return f"{previous} → {target}" + (f": {why}" if why else "")


def review_decision(kind: str, reason: str) -> str:
    """Why a review decision changed the status (changes requested, rejected): `ethics review: <reason>`."""
    return f"{kind} review: {reason}"


def decided_review(detail: str | None) -> str | None:
    """The review whose decision made a status change, read back from the detail that
    `transition_detail` and `review_decision` built; None for any other change."""
    _, _, why = (detail or "").partition(": ")
    return next((kind for kind in REVIEW_KINDS if why.startswith(review_decision(kind, ""))), None)
