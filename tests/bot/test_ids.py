"""Button values and block ids carry a typed reference; cards posted before projects still parse."""

from __future__ import annotations

from typing import Any

import pytest

from bot import ids
from workflow.refs import Ref, Subject


@pytest.mark.parametrize(
    ("ref", "arg", "value"),
    [
        (Ref.experiment(12), "technical", "12:technical"),
        (Ref.experiment(12), None, "12"),
        (Ref.project(3), "M2", "project:3:M2"),
        (Ref.project(3), None, "project:3"),
    ],
)
def test_button_values_round_trip(ref: Ref, arg: str | None, value: str) -> None:
    assert ids.button_value(ref, arg) == value
    assert ids.parse_button_value(value) == (ref, arg or "")


@pytest.mark.parametrize("value", ["", "abc", "widget:3", "project:x", ":3"])
def test_foreign_button_values_are_refused(value: str) -> None:
    assert ids.parse_button_value(value) is None


def test_block_ids_round_trip() -> None:
    assert ids.block_id(ids.CHECKLIST_BLOCK, Ref.experiment(7)) == "checklist:7"
    assert ids.parse_block_id("checklist:7") == ("checklist", Ref(Subject.EXPERIMENT, 7))
    assert ids.parse_block_id(ids.block_id("milestones", Ref.project(4))) == ("milestones", Ref.project(4))
    assert ids.parse_block_id("checklist") is None


def test_block_ids_with_an_argument_and_of_plain_rows_keep_the_text_posted_messages_carry() -> None:
    assert ids.block_id(ids.REVIEW_BUTTONS_BLOCK, Ref.experiment(12), "technical") == "review:12:technical"
    assert ids.block_id(ids.SIGNOFF_BLOCK, Ref.experiment(12), "security") == "signoff:12:security"
    assert ids.block_id(ids.SIGNOFF_REJECT_BLOCK, Ref.experiment(12)) == "signoff_reject:12"
    assert ids.block_id(ids.RECORD_BIAS_CHECK_BLOCK, Ref.experiment(3)) == "bias:3"
    assert ids.row_block_id(ids.SHARE_UPDATE_BLOCK, 5) == "standup:5"
    assert ids.row_block_id(ids.ADD_NOTE_BLOCK, 5) == "retro:5"
    assert ids.row_block_id(ids.ACTION_ITEM_BLOCK, 9) == "retro_action:9"


# -- modal private metadata: one codec per modal, on the wire formats modals have always carried --
@pytest.mark.parametrize(
    ("meta", "wire"),
    [
        (ids.ProposeMeta("C1"), "C1"),
        (ids.ProposeMeta(None), ""),
        (ids.ProjectCreateMeta("C2"), "C2"),
        (ids.LearningMeta(7), '{"number": 7}'),
        (ids.BiasCheckMeta(3), '{"number": 3}'),
        (ids.StandupMeta(5), '{"run": 5}'),
        (ids.RetroNoteMeta(6), '{"run": 6}'),
        (
            ids.ReasonMeta(12, "technical", "reject", "C1"),
            '{"n": 12, "kind": "technical", "decision": "reject", "channel": "C1"}',
        ),
    ],
)
def test_modal_metadata_round_trips_on_its_wire_format(meta: Any, wire: str) -> None:
    assert meta.encode() == wire
    assert type(meta).decode(wire) == meta


@pytest.mark.parametrize("codec", [ids.LearningMeta, ids.BiasCheckMeta, ids.StandupMeta, ids.RetroNoteMeta])
@pytest.mark.parametrize(
    "text", ["", "7", "not json", "[]", '{"number": "x"}', '{"number": 0}', '{"run": 0}', '{"run": true}']
)
def test_unreadable_metadata_decodes_to_none(codec: type, text: str) -> None:
    assert codec.decode(text) is None


def test_a_reason_needs_its_number_kind_and_decision() -> None:
    assert ids.ReasonMeta.decode('{"n": 1, "kind": "ethics"}') is None
    assert ids.ReasonMeta.decode('{"n": 1, "kind": "ethics", "decision": "reject"}') == ids.ReasonMeta(
        1, "ethics", "reject", ""
    )
