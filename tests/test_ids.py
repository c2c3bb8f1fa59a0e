"""Button values and block ids carry a typed reference; cards posted before projects still parse."""

from __future__ import annotations

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
