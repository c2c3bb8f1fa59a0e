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
