"""The values stored in columns that every layer must agree on: statuses, review kinds and
states, roles, and audit actions.

Each is a `StrEnum`, so a member is stored as its plain string and a row read back compares
equal to it: the database holds exactly what it held before these were enums. The workflow's
rules about them (which status follows which, who may decide what) are in `workflow/`.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """An experiment's place in its lifecycle: proposed → in_review → reviewed → approved →
    production, with changes_requested, rejected and withdrawn on the side."""

    PROPOSED = "proposed"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    PRODUCTION = "production"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ReviewKind(StrEnum):
    """The three reviews every experiment needs."""

    TECHNICAL = "technical"
    ETHICS = "ethics"
    BUSINESS = "business"


class SignOff(StrEnum):
    """The decision after the reviews: the production sign-offs, decided (or rejected) in the
    sign-off message. With `ReviewKind` it names everything a decision can be about (`Gate`)."""

    SIGN_OFF = "sign-off"


# What a decision is about: one of the reviews, or the sign-off.
Gate = ReviewKind | SignOff


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


class Role(StrEnum):
    """Who holds which role decides who may click what."""

    ML_ENGINEER = "ml_engineer"
    PROMPT_ENGINEER = "prompt_engineer"
    DATA_ENGINEER = "data_engineer"
    PLATFORM_ENGINEER = "platform_engineer"
    PRODUCT_MANAGER = "product_manager"
    TECHNICAL_REVIEWER = "technical_reviewer"
    ETHICS_REVIEWER = "ethics_reviewer"
    BUSINESS_REVIEWER = "business_reviewer"
    TECHNICAL_LEAD = "technical_lead"
    PRODUCT_OWNER = "product_owner"
    SECURITY = "security"
    ADMIN = "admin"


class AuditAction(StrEnum):
    """The `action` of an audit record. Steps about one status, review or role are `Step`s built
    from the STATUS, REVIEW and SIGNOFF prefixes."""

    PROPOSED = "proposed"
    CHECKLIST = "checklist"
    METRICS = "metrics"
    STATUS = "status"
    REVIEW = "review"
    SIGNOFF = "sign-off"
    STALE = "stale"  # decisions whose evidence changed after them
    LEARNING = "learning"
    BIAS_CHECK = "bias_check"
    ROLE_ADD = "role:add"
    ROLE_REMOVE = "role:remove"
    AWAY = "away"
    BACK = "back"
    HOLIDAY_ADDED = "holiday_added"
    HOLIDAY_REMOVED = "holiday_removed"
    CEREMONY_ADDED = "ceremony_added"
    CEREMONY_EDITED = "ceremony_edited"
    CEREMONY_PAUSED = "ceremony_paused"
    CEREMONY_RESUMED = "ceremony_resumed"
    CEREMONY_REMOVED = "ceremony_removed"
    CEREMONY_RUN = "ceremony_run"
    CEREMONY_PARTICIPANTS = "ceremony_participants"
    STANDUP_ANSWERED = "standup_answered"
    RETRO_NOTE = "retro_note"
    RETRO_ACTION_DONE = "retro_action_done"
    APP_INSTALLED = "app_installed"  # the workspace installed (or reinstalled) the app: OAuth mode
    APP_UNINSTALLED = "app_uninstalled"
    # Evidence from the ML platform (MLflow), and its model registry.
    EVIDENCE_LINKED = "evidence:linked"
    EVIDENCE_READ = "evidence:read"  # a re-read found new values
    CRITERIA = "criteria"
    ALIAS_OUTSIDE_APPROVAL = "registry:alias_outside_approval"
    DEPLOYED = "registry:deployed"
    ALIAS_SET = "registry:alias_set"
    ALIAS_REMOVED = "registry:alias_removed"


class EvidenceRole(StrEnum):
    """What a linked run or model version is to its experiment."""

    CANDIDATE = "candidate"  # the run the success criteria are checked against
    BASELINE = "baseline"  # the run it is compared with
    EARLIER = "earlier"  # a run that was the candidate before a newer one was linked
    MODEL = "model"  # a model version


class ProjectAction(StrEnum):
    """The `action` of an audit record about a project."""

    CREATED = "project:created"
    MEMBER_ADDED = "project:member_added"
    MEMBER_REMOVED = "project:member_removed"
    MILESTONE_ADDED = "project:milestone_added"
    MILESTONE_DONE = "project:milestone_done"
    MILESTONE_MOVED = "project:milestone_moved"
    LINKED = "project:linked"
    UNLINKED = "project:unlinked"
    ARCHIVED = "project:archived"


class Step(str):
    """An audit action about one status, review or role, stored as `status:in_review`,
    `review:ethics`, `sign-off:security`. Built only by the constructors below, so its prefix and
    its subject are always members of their enums."""

    __slots__ = ()

    @classmethod
    def status(cls, target: Status) -> Step:
        return cls(f"{AuditAction.STATUS}:{Status(target)}")

    @classmethod
    def review(cls, kind: ReviewKind) -> Step:
        return cls(f"{AuditAction.REVIEW}:{ReviewKind(kind)}")

    @classmethod
    def signoff(cls, role: Role) -> Step:
        return cls(f"{AuditAction.SIGNOFF}:{Role(role)}")


# What `storage.audit.record` accepts as an action, and nothing else.
Action = AuditAction | ProjectAction | Step
ACTION_TYPES = (AuditAction, ProjectAction, Step)
