"""Every action, callback and block id, named once, shared by builders and registrations; and
each modal's private metadata, as one typed codec beside the modal's ids.

A codec's `encode()` is what the builder puts in `private_metadata`; its `decode(text)` is what
the view listener reads back, `None` for text it cannot read (a form from a foreign or broken
payload). The wire formats are the ones each modal has always carried, so a modal opened before
a deploy and submitted after it still decodes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Self

from workflow import vocabulary as v
from workflow.refs import Ref, Subject


# -- private metadata: the shared shapes --------------------------------------------------------
def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _positive_int(value: object) -> int | None:
    """An id as JSON carries it: a positive int (a digit string is accepted too), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


@dataclass(frozen=True)
class ChannelMeta:
    """A modal opened by a slash command: the channel to confirm in. On the wire the bare
    channel id; empty when there is none."""

    channel_id: str | None

    def encode(self) -> str:
        return self.channel_id or ""

    @classmethod
    def decode(cls, text: str) -> Self:
        """Any text is a channel id (never None): the listener only posts back to it."""
        return cls(text or None)


@dataclass(frozen=True)
class ExperimentMeta:
    """A modal about one experiment: `{"number": 12}`."""

    number: int

    def encode(self) -> str:
        return json.dumps({"number": self.number})

    @classmethod
    def decode(cls, text: str) -> Self | None:
        number = _positive_int((_json_object(text) or {}).get("number"))
        return cls(number) if number is not None else None


@dataclass(frozen=True)
class RunMeta:
    """A modal about one ceremony run: `{"run": 5}`."""

    run_id: int

    def encode(self) -> str:
        return json.dumps({"run": self.run_id})

    @classmethod
    def decode(cls, text: str) -> Self | None:
        run_id = _positive_int((_json_object(text) or {}).get("run"))
        return cls(run_id) if run_id is not None else None


# Modals (callback ids) and their inputs (block id, action id).
PROPOSE_MODAL: Final = "experiment_propose"
HYPOTHESIS_BLOCK: Final = "hypothesis"
HYPOTHESIS_INPUT: Final = "hypothesis_input"
WORKSTREAM_BLOCK: Final = "workstream"
WORKSTREAM_INPUT: Final = "workstream_input"
# The propose modal's optional project select; its option values are project names.
PROJECT_BLOCK: Final = "project"
PROJECT_INPUT: Final = "project_input"


class ProposeMeta(ChannelMeta):
    """The propose modal's metadata: the channel `/experiment propose` was typed in."""


# Success criteria, in the propose modal (optional).
CRITERIA_BLOCK: Final = "criteria"
CRITERIA_INPUT: Final = "criteria_input"

# The modal `/experiment submit EXP-1` opens with no artifacts typed.
SUBMIT_MODAL: Final = "experiment_submit"
ARTIFACTS_BLOCK: Final = "artifacts"
EVIDENCE_BLOCK: Final = "evidence"


@dataclass(frozen=True)
class SubmitMeta:
    """The submit modal's metadata: the experiment and the channel to confirm in,
    `{"number": 12, "channel": "C1"}`."""

    number: int
    channel_id: str | None

    def encode(self) -> str:
        return json.dumps({"number": self.number, "channel": self.channel_id})

    @classmethod
    def decode(cls, text: str) -> Self | None:
        data = _json_object(text) or {}
        number = _positive_int(data.get("number"))
        channel = data.get("channel")
        return cls(number, channel if isinstance(channel, str) else None) if number is not None else None


# The modal `/project create` opens with no text (its workstream uses WORKSTREAM_BLOCK).
PROJECT_CREATE_MODAL: Final = "project_create"
PROJECT_NAME_BLOCK: Final = "project_name"
PROJECT_DESCRIPTION_BLOCK: Final = "project_description"
PROJECT_MEMBERS_BLOCK: Final = "project_members"
TEXT_INPUT: Final = "text_input"
USERS_INPUT: Final = "users_input"


class ProjectCreateMeta(ChannelMeta):
    """The project create modal's metadata: the channel `/project create` was typed in."""


# Blocks on the experiment card.
CARD_HEADER_BLOCK: Final = "card_header"

# The review message in the card's thread. Button values are "<number>:<review kind>".
REVIEW_APPROVE: Final = "review_approve"
REVIEW_REQUEST_CHANGES: Final = "review_request_changes"
REVIEW_REJECT: Final = "review_reject"
# The row of a review's buttons: `block_id(REVIEW_BUTTONS_BLOCK, ref, kind)`, `review:12:technical`.
REVIEW_BUTTONS_BLOCK: Final = "review"
# The checklist's block id is `block_id(CHECKLIST_BLOCK, ref)`; option values are checklist keys.
CHECKLIST: Final = "review_checklist"
CHECKLIST_BLOCK: Final = "checklist"

# The sign-off message in the card's thread. Values are "<number>:<role>" and "<number>".
SIGNOFF_APPROVE: Final = "signoff_approve"
SIGNOFF_REJECT: Final = "signoff_reject"
# A role's line is `block_id(SIGNOFF_BLOCK, ref, role)`, the Reject row
# `block_id(SIGNOFF_REJECT_BLOCK, ref)`.
SIGNOFF_BLOCK: Final = "signoff"
SIGNOFF_REJECT_BLOCK: Final = "signoff_reject"

# The modal asking why changes are requested or an experiment is rejected.
REASON_MODAL: Final = "decision_reason"
REASON_BLOCK: Final = "reason"
REASON_INPUT: Final = "reason_input"


@dataclass(frozen=True)
class ReasonMeta:
    """The reason modal's metadata: the experiment, what the decision is about (a review kind, or
    the sign-off), the decision, and the channel of the click. On the wire
    `{"n", "kind", "decision", "channel"}`."""

    number: int
    kind: v.Gate
    decision: v.Decision
    channel_id: str = ""

    def encode(self) -> str:
        return json.dumps(
            {"n": self.number, "kind": self.kind, "decision": self.decision, "channel": self.channel_id}
        )

    @classmethod
    def decode(cls, text: str) -> Self | None:
        meta = _json_object(text) or {}
        number, kind, decision = _positive_int(meta.get("n")), meta.get("kind"), meta.get("decision")
        if number is None or not isinstance(kind, str) or not isinstance(decision, str):
            return None
        gate = v.parse(v.ReviewKind, kind) or v.parse(v.SignOff, kind)
        choice = v.parse(v.Decision, decision)
        if gate is None or choice is None:
            return None
        channel = meta.get("channel")
        return cls(number, gate, choice, channel if isinstance(channel, str) else "")


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


def block_id(prefix: str, ref: Ref, arg: str | None = None) -> str:
    """A block id naming what it is about: `checklist:12`, `milestones:project:3`, and with an
    argument (a review kind, a role) `review:12:technical`."""
    return f"{prefix}:{button_value(ref, arg)}"


def row_block_id(prefix: str, row_id: int) -> str:
    """A block id naming a row that has no card of its own (a ceremony run, a retro note):
    `standup:5`, `retro_action:9`."""
    return f"{prefix}:{row_id}"


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
SHARE_UPDATE_BLOCK: Final = "standup"  # `row_block_id(SHARE_UPDATE_BLOCK, run_id)`
STANDUP_MODAL: Final = "standup_answer"
STANDUP_PROGRESS_BLOCK: Final = "standup_progress"
STANDUP_BLOCKERS_BLOCK: Final = "standup_blockers"
STANDUP_HELP_BLOCK: Final = "standup_help"
STANDUP_INPUT: Final = "standup_input"  # the action id of each of the three inputs


class StandupMeta(RunMeta):
    """The standup answer modal's metadata: the run being answered."""


# Retros: the Add a note button on a retro's reminder (value: the run id), its modal, and the
# Done button of an action item (value: the note id), on the board and in `/ceremony actions`.
ADD_NOTE: Final = "retro_add_note"
ADD_NOTE_BLOCK: Final = "retro"  # `row_block_id(ADD_NOTE_BLOCK, run_id)`
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
ACTION_ITEM_BLOCK: Final = "retro_action"  # `row_block_id(ACTION_ITEM_BLOCK, note_id)`


class RetroNoteMeta(RunMeta):
    """The retro note modal's metadata: the retro run, never who opened it."""


# Learnings: the Record a learning button in a closed experiment's thread (value: its number),
# and its modal (private metadata: the number).
RECORD_LEARNING: Final = "learning_record"
LEARNING_PROMPT_BLOCK: Final = "learning_prompt"  # the row holding the button
LEARNING_MODAL: Final = "learning"
LEARNING_TEXT_BLOCK: Final = "learning_text"
LEARNING_DIFFERENTLY_BLOCK: Final = "learning_differently"
LEARNING_TAGS_BLOCK: Final = "learning_tags"


class LearningMeta(ExperimentMeta):
    """The learning modal's metadata: the closed experiment."""


# Bias checks: the Record bias checks button under the ethics review (value: the experiment's
# number), and its modal (private metadata: the number).
RECORD_BIAS_CHECK: Final = "bias_check_record"
RECORD_BIAS_CHECK_BLOCK: Final = "bias"  # `block_id(RECORD_BIAS_CHECK_BLOCK, ref)`: `bias:12`
BIAS_CHECK_MODAL: Final = "bias_check"
BIAS_CHECKS_BLOCK: Final = "bias_checks"
BIAS_DATA_BLOCK: Final = "bias_data"
BIAS_FINDINGS_BLOCK: Final = "bias_findings"
BIAS_RESULT_BLOCK: Final = "bias_result"
CHOICE_INPUT: Final = "choice_input"


class BiasCheckMeta(ExperimentMeta):
    """The bias check modal's metadata: the experiment under ethics review."""
