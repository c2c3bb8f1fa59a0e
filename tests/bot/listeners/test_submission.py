"""A modal submission's inputs read by block id, whatever element each input holds."""

from __future__ import annotations

from typing import Any

from bot.listeners.views.submission import Submission


def _body(values: dict[str, Any], metadata: str | None = '{"run": 5}') -> dict[str, Any]:
    view: dict[str, Any] = {"callback_id": "any", "state": {"values": values}}
    if metadata is not None:
        view["private_metadata"] = metadata
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "view": view,
    }


def test_each_kind_of_input_reads_by_its_block_id() -> None:
    form = Submission.parse(
        _body(
            {
                "text": {"text_input": {"type": "plain_text_input", "value": "hello"}},
                "kind": {"kind_input": {"type": "radio_buttons", "selected_option": {"value": "went_well"}}},
                "ticks": {"c": {"type": "checkboxes", "selected_options": [{"value": "a"}, {"value": "b"}]}},
                "owner": {"o": {"type": "users_select", "selected_user": "U2"}},
                "members": {"m": {"type": "multi_users_select", "selected_users": ["U3", "U4"]}},
            }
        )
    )
    assert (form.team_id, form.user_id, form.metadata) == ("T1", "U1", '{"run": 5}')
    assert form.text("text") == "hello"
    assert form.selected("kind") == "went_well"
    assert form.checked("ticks") == ["a", "b"]
    assert form.user("owner") == "U2"
    assert form.users("members") == ["U3", "U4"]


def test_missing_and_empty_inputs_read_as_empty() -> None:
    form = Submission.parse(
        _body(
            {
                "text": {"text_input": {"type": "plain_text_input", "value": None}},
                "kind": {"kind_input": {"type": "static_select", "selected_option": None}},
                "ticks": {"c": {"type": "checkboxes", "selected_options": []}},
            },
            metadata=None,
        )
    )
    assert form.metadata == ""
    assert form.text("text") is None and form.text("absent") is None
    assert form.selected("kind") is None and form.selected("absent") is None
    assert form.checked("ticks") == [] and form.checked("absent") == []
    assert form.user("absent") is None and form.users("absent") == []
