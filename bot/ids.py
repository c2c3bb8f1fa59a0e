"""Every action, callback and block id, named once, shared by builders and registrations."""

from typing import Final

from workflow.refs import Ref, Subject

# Modals (callback ids) and their inputs (block id, action id).
PROPOSE_MODAL: Final = "experiment_propose"
HYPOTHESIS_BLOCK: Final = "hypothesis"
HYPOTHESIS_INPUT: Final = "hypothesis_input"
WORKSTREAM_BLOCK: Final = "workstream"
WORKSTREAM_INPUT: Final = "workstream_input"
# The propose modal's optional project select; its option values are project names.
PROJECT_BLOCK: Final = "project"
PROJECT_INPUT: Final = "project_input"
# The modal `/project create` opens with no text (its workstream uses WORKSTREAM_BLOCK).
PROJECT_CREATE_MODAL: Final = "project_create"
PROJECT_NAME_BLOCK: Final = "project_name"
PROJECT_DESCRIPTION_BLOCK: Final = "project_description"
PROJECT_MEMBERS_BLOCK: Final = "project_members"
TEXT_INPUT: Final = "text_input"
USERS_INPUT: Final = "users_input"

# Blocks on the experiment card.
CARD_HEADER_BLOCK: Final = "card_header"

# The review message in the card's thread. Button values are "<number>:<review kind>".
REVIEW_APPROVE: Final = "review_approve"
REVIEW_REQUEST_CHANGES: Final = "review_request_changes"
REVIEW_REJECT: Final = "review_reject"
# The checklist's block id is `block_id(CHECKLIST_BLOCK, ref)`; option values are checklist keys.
CHECKLIST: Final = "review_checklist"
CHECKLIST_BLOCK: Final = "checklist"

# The sign-off message in the card's thread. Values are "<number>:<role>" and "<number>".
SIGNOFF_APPROVE: Final = "signoff_approve"
SIGNOFF_REJECT: Final = "signoff_reject"

# The modal asking why changes are requested or an experiment is rejected.
REASON_MODAL: Final = "decision_reason"
REASON_BLOCK: Final = "reason"
REASON_INPUT: Final = "reason_input"


# -- values and block ids that carry what they are about ------------------------------------------
# A button value is "<ref>" or "<ref>:<arg>", a block id "<prefix>:<ref>", where an experiment's
# ref is its bare number (what cards posted before projects carry: "12:technical",
# "checklist:12") and any other kind's is "<kind>:<id>" ("project:3:M2").


def _ref_text(ref: Ref) -> str:
    return str(ref.id) if ref.kind is Subject.EXPERIMENT else str(ref)


def button_value(ref: Ref, arg: str | None = None) -> str:
    """The value of a button acting on `ref`, with an optional argument (a review kind, a role)."""
    return _ref_text(ref) + (f":{arg}" if arg else "")


def parse_button_value(value: str) -> tuple[Ref, str] | None:
    """`12:technical` → (EXP 12, "technical"); `project:3:M2` → (project 3, "M2"); else None."""
    head, _, rest = value.partition(":")
    if head.isdigit():
        return Ref.experiment(int(head)), rest
    key, _, arg = rest.partition(":")
    ref = Ref.parse(f"{head}:{key}")
    return (ref, arg) if ref is not None and head else None


def block_id(prefix: str, ref: Ref) -> str:
    """A block id naming what it is about: `checklist:12`, `milestones:project:3`."""
    return f"{prefix}:{_ref_text(ref)}"


def parse_block_id(value: str) -> tuple[str, Ref] | None:
    """`checklist:12` → ("checklist", EXP 12); `milestones:project:3` → ("milestones", project 3)."""
    prefix, _, rest = value.partition(":")
    ref = Ref.parse(rest)
    return (prefix, ref) if prefix and ref is not None else None


# Blocks on the project card: `block_id(PROJECT_HEADER_BLOCK, Ref.project(3))`.
PROJECT_HEADER_BLOCK: Final = "project_header"
PROJECT_MILESTONES_BLOCK: Final = "milestones"

# Standups: the button on the reminder and in the DMs (value: the run id), and its modal.
SHARE_UPDATE: Final = "standup_share_update"
STANDUP_MODAL: Final = "standup_answer"
STANDUP_PROGRESS_BLOCK: Final = "standup_progress"
STANDUP_BLOCKERS_BLOCK: Final = "standup_blockers"
STANDUP_HELP_BLOCK: Final = "standup_help"
STANDUP_INPUT: Final = "standup_input"  # the action id of each of the three inputs

# Retros: the Add a note button on a retro's reminder (value: the run id), its modal, and the
# Done button of an action item (value: the note id), on the board and in `/ceremony actions`.
ADD_NOTE: Final = "retro_add_note"
RETRO_NOTE_MODAL: Final = "retro_note"
RETRO_KIND_BLOCK: Final = "retro_kind"
RETRO_KIND_INPUT: Final = "retro_kind_input"
RETRO_TEXT_BLOCK: Final = "retro_text"
RETRO_TEXT_INPUT: Final = "retro_text_input"
RETRO_OWNER_BLOCK: Final = "retro_owner"
RETRO_OWNER_INPUT: Final = "retro_owner_input"
RETRO_ANONYMOUS_BLOCK: Final = "retro_anonymous"
RETRO_ANONYMOUS_INPUT: Final = "retro_anonymous_input"
RETRO_ANONYMOUS_VALUE: Final = "anonymous"
ACTION_DONE: Final = "retro_action_done"

# Learnings: the Record a learning button in a closed experiment's thread (value: its number),
# and its modal (private metadata: the number).
RECORD_LEARNING: Final = "learning_record"
LEARNING_MODAL: Final = "learning"
LEARNING_TEXT_BLOCK: Final = "learning_text"
LEARNING_DIFFERENTLY_BLOCK: Final = "learning_differently"
LEARNING_TAGS_BLOCK: Final = "learning_tags"

# Bias checks: the Record bias checks button under the ethics review (value: the experiment's
# number), and its modal (private metadata: the number).
RECORD_BIAS_CHECK: Final = "bias_check_record"
BIAS_CHECK_MODAL: Final = "bias_check"
BIAS_CHECKS_BLOCK: Final = "bias_checks"
BIAS_DATA_BLOCK: Final = "bias_data"
BIAS_FINDINGS_BLOCK: Final = "bias_findings"
BIAS_RESULT_BLOCK: Final = "bias_result"
CHOICE_INPUT: Final = "choice_input"
