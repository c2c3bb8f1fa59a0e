"""Standup builders: the button and the modal carry the run the listeners read back."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import ids
from bot.blocks.standups import answer_modal, answer_reply, dm_message, share_button, with_summary
from storage.models import Ceremony, CeremonyRun, Experiment, StandupAnswer, StandupPrompt
from tests.harness import all_text
from workflow import ceremonies as c
from workflow import standups
from workflow.standups import Dm, Reply, Summary

DUE = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)


def _ceremony() -> Ceremony:
    return Ceremony(
        id=1,
        team_id="T1",
        name="daily <standup>",
        kind=c.STANDUP,
        channel_id="C1",
        schedule="daily 09:30",
        timezone="UTC",
        duration_minutes=15,
        created_by="U1",
    )


def _run(run_id: int = 5) -> CeremonyRun:
    return CeremonyRun(id=run_id, team_id="T1", ceremony_id=1, due_at=DUE)


def _answer(**overrides: object) -> StandupAnswer:
    values: dict = {"id": 1, "team_id": "T1", "run_id": 5, "user_id": "U2", "progress": "shipped EXP-3"}
    return StandupAnswer(**{**values, **overrides})


def test_the_share_button_names_the_run_the_click_opens() -> None:
    block = share_button(5)
    assert block["block_id"] == ids.row_block_id(ids.SHARE_UPDATE_BLOCK, 5) == "standup:5"
    [button] = block["elements"]
    # The listener reads the run id back as the bare number.
    assert (button["action_id"], button["value"]) == (ids.SHARE_UPDATE, "5")


def test_the_dm_carries_the_share_button_of_its_run() -> None:
    prompt = StandupPrompt(id=1, team_id="T1", run_id=5, user_id="U2")
    dm = Dm(prompt=prompt, run=_run(), ceremony=_ceremony(), followup=False)
    payload = dm_message(dm)
    assert payload["blocks"][-1] == share_button(5)
    assert "daily &lt;standup&gt;" in payload["text"]


def test_the_answer_modal_carries_its_run_and_three_inputs_the_listener_reads() -> None:
    modal = answer_modal(run_id=5, ceremony=_ceremony(), previous=None)
    assert modal["callback_id"] == ids.STANDUP_MODAL
    assert ids.StandupMeta.decode(modal["private_metadata"]) == ids.StandupMeta(5)
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    assert list(blocks) == [ids.STANDUP_PROGRESS_BLOCK, ids.STANDUP_BLOCKERS_BLOCK, ids.STANDUP_HELP_BLOCK]
    for block in blocks.values():
        assert block["element"]["action_id"] == ids.STANDUP_INPUT
        assert block["element"]["max_length"] == standups.TEXT_MAX_CHARS
        assert "initial_value" not in block["element"]
    assert not blocks[ids.STANDUP_PROGRESS_BLOCK]["optional"]
    assert blocks[ids.STANDUP_BLOCKERS_BLOCK]["optional"] and blocks[ids.STANDUP_HELP_BLOCK]["optional"]


def test_a_second_answer_starts_from_the_first() -> None:
    modal = answer_modal(run_id=5, ceremony=_ceremony(), previous=_answer(blockers="CI", help=None))
    initial = {b["block_id"]: b["element"].get("initial_value") for b in modal["blocks"]}
    assert initial == {
        ids.STANDUP_PROGRESS_BLOCK: "shipped EXP-3",
        ids.STANDUP_BLOCKERS_BLOCK: "CI",
        ids.STANDUP_HELP_BLOCK: None,
    }


def test_the_reply_links_named_experiments_and_escapes_the_rest() -> None:
    experiment = Experiment(
        id=3, team_id="T1", number=3, hypothesis="h", workstream="w", owner_id="U1", timeline_weeks=2,
        channel_id="C1", message_ts="1700000001.000100",
    )  # fmt: skip
    reply = Reply(
        answer=_answer(progress="<!here> EXP-3 and EXP-9"), run=_run(), ceremony=_ceremony(),
        experiments={3: experiment},
    )  # fmt: skip
    text = all_text(answer_reply(reply)["blocks"])
    assert "&lt;!here&gt;" in text and "<!here>" not in text
    assert "|EXP-3>" in text and "EXP-9" in text and "|EXP-9>" not in text


def test_the_summary_keeps_the_share_button_on_the_reminder() -> None:
    reminder = {"text": "Standup", "blocks": [share_button(5)]}
    summary = Summary(run=_run(), ceremony=_ceremony(), answers=[_answer()], missing=["U3"], away=["U4"])
    payload = with_summary(reminder, summary)
    assert payload["blocks"][0] == share_button(5)
    text = all_text(payload["blocks"])
    assert "*No answer:* <@U3>" in text and "*Away:* <@U4>" in text
