"""Every action, callback and block id, named once, shared by builders and registrations."""

from typing import Final

# Modals (callback ids) and their inputs (block id, action id).
PROPOSE_MODAL: Final = "experiment_propose"
HYPOTHESIS_BLOCK: Final = "hypothesis"
HYPOTHESIS_INPUT: Final = "hypothesis_input"
WORKSTREAM_BLOCK: Final = "workstream"
WORKSTREAM_INPUT: Final = "workstream_input"

# Blocks on the experiment card.
CARD_HEADER_BLOCK: Final = "card_header"

# The review message in the card's thread. Button values are "<number>:<review kind>".
REVIEW_APPROVE: Final = "review_approve"
REVIEW_REQUEST_CHANGES: Final = "review_request_changes"
REVIEW_REJECT: Final = "review_reject"
# The checklist's block id is "checklist:<number>"; option values are checklist keys.
CHECKLIST: Final = "review_checklist"

# The sign-off message in the card's thread. Values are "<number>:<role>" and "<number>".
SIGNOFF_APPROVE: Final = "signoff_approve"
SIGNOFF_REJECT: Final = "signoff_reject"

# The modal asking why changes are requested or an experiment is rejected.
REASON_MODAL: Final = "decision_reason"
REASON_BLOCK: Final = "reason"
REASON_INPUT: Final = "reason_input"

# Standups: the button on the reminder and in the DMs (value: the run id), and its modal.
SHARE_UPDATE: Final = "standup_share_update"
STANDUP_MODAL: Final = "standup_answer"
STANDUP_PROGRESS_BLOCK: Final = "standup_progress"
STANDUP_BLOCKERS_BLOCK: Final = "standup_blockers"
STANDUP_HELP_BLOCK: Final = "standup_help"
STANDUP_INPUT: Final = "standup_input"  # the action id of each of the three inputs
