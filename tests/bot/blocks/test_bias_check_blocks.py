"""Bias check builders: the button and the modal carry the experiment the listeners read back."""

from __future__ import annotations

from bot import ids
from bot.blocks.bias_checks import bias_check_modal, record_button
from workflow import bias_checks
from workflow.refs import Ref


def test_the_record_button_names_the_experiment() -> None:
    block = record_button(3)
    assert block["block_id"] == ids.block_id(ids.RECORD_BIAS_CHECK_BLOCK, Ref.experiment(3)) == "bias:3"
    [button] = block["elements"]
    assert (button["action_id"], button["value"]) == (ids.RECORD_BIAS_CHECK, "3")
    assert ids.parse_button_value(button["value"]) == (Ref.experiment(3), "")


def test_the_modal_carries_the_experiment_and_the_inputs_the_listener_reads() -> None:
    modal = bias_check_modal(number=3)
    assert modal["callback_id"] == ids.BIAS_CHECK_MODAL
    assert ids.BiasCheckMeta.decode(modal["private_metadata"]) == ids.BiasCheckMeta(3)
    assert len(modal["title"]["text"]) <= 24
    elements = {b["block_id"]: b["element"] for b in modal["blocks"]}
    assert {block: (e["type"], e["action_id"]) for block, e in elements.items()} == {
        ids.BIAS_CHECKS_BLOCK: ("checkboxes", ids.CHOICE_INPUT),
        ids.BIAS_DATA_BLOCK: ("plain_text_input", ids.TEXT_INPUT),
        ids.BIAS_FINDINGS_BLOCK: ("plain_text_input", ids.TEXT_INPUT),
        ids.BIAS_RESULT_BLOCK: ("radio_buttons", ids.CHOICE_INPUT),
    }
    assert elements[ids.BIAS_DATA_BLOCK]["max_length"] == bias_checks.DATA_MAX_CHARS
    assert elements[ids.BIAS_FINDINGS_BLOCK]["max_length"] == bias_checks.FINDINGS_MAX_CHARS
