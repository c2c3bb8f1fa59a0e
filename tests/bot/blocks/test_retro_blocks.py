"""Retro builders: the button, the modal and the Done buttons carry what the listeners read back."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import ids
from bot.blocks import MAX_MESSAGE_BLOCKS
from bot.blocks.retros import action_block, actions_list, board_message, note_button, note_modal
from storage.models import Ceremony, CeremonyRun, RetroNote
from tests.harness import all_text
from workflow import ceremonies as c
from workflow import retros
from workflow.retros import Board

WHEN = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)


def _note(note_id: int, kind: str = retros.ACTION_ITEM, **overrides: object) -> RetroNote:
    values: dict = {
        "id": note_id, "team_id": "T1", "ceremony_id": 1, "run_id": 5, "kind": kind,
        "text": f"note {note_id}", "author_id": "U1", "owner_id": "U2", "created_at": WHEN,
    }  # fmt: skip
    return RetroNote(**{**values, **overrides})


def test_the_add_a_note_button_names_its_run() -> None:
    block = note_button(5)
    assert block["block_id"] == ids.row_block_id(ids.ADD_NOTE_BLOCK, 5) == "retro:5"
    [button] = block["elements"]
    assert (button["action_id"], button["value"]) == (ids.ADD_NOTE, "5")


def test_the_note_modal_carries_the_run_and_the_inputs_the_listener_reads() -> None:
    modal = note_modal(run_id=5)
    assert modal["callback_id"] == ids.RETRO_NOTE_MODAL
    assert ids.RetroNoteMeta.decode(modal["private_metadata"]) == ids.RetroNoteMeta(5)
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert {block: element["action_id"] for block, element in inputs.items()} == {
        ids.RETRO_KIND_BLOCK: ids.RETRO_KIND_INPUT,
        ids.RETRO_TEXT_BLOCK: ids.RETRO_TEXT_INPUT,
        ids.RETRO_OWNER_BLOCK: ids.RETRO_OWNER_INPUT,
        ids.RETRO_ANONYMOUS_BLOCK: ids.RETRO_ANONYMOUS_INPUT,
    }
    assert [o["value"] for o in inputs[ids.RETRO_KIND_BLOCK]["options"]] == list(retros.KINDS)
    assert inputs[ids.RETRO_OWNER_BLOCK]["type"] == "users_select"
    assert [o["value"] for o in inputs[ids.RETRO_ANONYMOUS_BLOCK]["options"]] == [ids.RETRO_ANONYMOUS_VALUE]


def test_an_open_action_item_carries_done_with_its_note_id_and_a_done_one_none() -> None:
    block = action_block(_note(9))
    assert block["block_id"] == ids.row_block_id(ids.ACTION_ITEM_BLOCK, 9) == "retro_action:9"
    assert (block["accessory"]["action_id"], block["accessory"]["value"]) == (ids.ACTION_DONE, "9")
    done = action_block(_note(9, done_at=WHEN, done_by="U2"))
    assert "accessory" not in done and "~note 9~" in done["text"]["text"]


def test_the_board_groups_by_kind_and_never_names_an_anonymous_author() -> None:
    ceremony = Ceremony(
        id=1, team_id="T1", name="retro", kind=c.RETROSPECTIVE, channel_id="C1", schedule="weekly fri 15:00",
        timezone="UTC", duration_minutes=60, created_by="U1",
    )  # fmt: skip
    board = Board(
        run=CeremonyRun(id=5, team_id="T1", ceremony_id=1, due_at=WHEN),
        ceremony=ceremony,
        notes={
            retros.WENT_WELL: [_note(1, retros.WENT_WELL, author_id=None, text="<!channel> good")],
            retros.TO_IMPROVE: [],
            retros.ACTION_ITEM: [_note(2)],
        },
    )
    payload = board_message(board)
    text = all_text(payload["blocks"])
    assert "_(anonymous)_" in text and "<@U1>" not in text
    assert "&lt;!channel&gt; good" in text and "<!channel>" not in text
    assert [b["accessory"]["value"] for b in payload["blocks"] if "accessory" in b] == ["2"]


def test_the_actions_list_stays_inside_a_message() -> None:
    payload = actions_list([_note(n) for n in range(1, 80)], mine=False)
    assert len(payload["blocks"]) <= MAX_MESSAGE_BLOCKS
    assert "…and 31 more." in all_text(payload["blocks"])
