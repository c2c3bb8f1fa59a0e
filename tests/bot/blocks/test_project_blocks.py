"""Project builders: the card's block ids name the project; the create modal carries its channel."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot import ids
from bot.blocks import MAX_MESSAGE_BLOCKS
from bot.blocks.projects import card, create_modal, due_label, list_view
from storage.models import Milestone, Project
from tests.harness import all_text
from workflow import vocabulary as v
from workflow.projects import Member, ProjectDetail
from workflow.refs import Ref

TODAY = date(2026, 11, 24)


def _project(**overrides: object) -> Project:
    values: dict = {
        "id": 3, "team_id": "T1", "name": "support-bot", "name_key": "support-bot",
        "workstream": "experimentation", "owner_id": "U1", "description": "<!here> the bot",
    }  # fmt: skip
    return Project(**{**values, **overrides})


def _milestone(number: int, due_on: date, done: bool = False) -> Milestone:
    return Milestone(
        id=number, team_id="T1", project_id=3, number=number, title=f"M <{number}>", due_on=due_on,
        created_by="U1", done_at=datetime(2026, 11, 20, tzinfo=UTC) if done else None,
    )  # fmt: skip


def test_the_card_names_the_project_in_its_block_ids() -> None:
    detail = ProjectDetail(
        project=_project(), members=[Member("U1", ["owner"])], experiments=[], today=TODAY,
        milestones=[_milestone(1, date(2026, 11, 20), done=True), _milestone(2, date(2026, 11, 30))],
    )  # fmt: skip
    blocks = card(detail)["blocks"]
    by_id = {b["block_id"]: b for b in blocks if "block_id" in b}
    header_id = ids.block_id(ids.PROJECT_HEADER_BLOCK, Ref.project(3))
    milestones_id = ids.block_id(ids.PROJECT_MILESTONES_BLOCK, Ref.project(3))
    assert list(by_id) == [header_id, milestones_id] == ["project_header:project:3", "milestones:project:3"]
    assert ids.parse_block_id(milestones_id) == (ids.PROJECT_MILESTONES_BLOCK, Ref.project(3))
    text = all_text(blocks)
    assert "&lt;!here&gt; the bot" in text and "<!here>" not in text
    assert "*M2* M &lt;2&gt; · 2026-11-30 · due in 6 days" in text
    assert len(blocks) <= MAX_MESSAGE_BLOCKS


def test_due_labels() -> None:
    assert due_label(_milestone(1, TODAY), TODAY) == ":large_yellow_circle: due today"
    assert due_label(_milestone(1, date(2026, 11, 23)), TODAY) == ":red_circle: *overdue* by 1 day"
    assert due_label(_milestone(1, date(2026, 11, 1), done=True), TODAY) == ":white_check_mark: done"


def test_the_create_modal_carries_its_channel_and_the_inputs_the_listener_reads() -> None:
    modal = create_modal(channel_id="C1")
    assert modal["callback_id"] == ids.PROJECT_CREATE_MODAL
    assert ids.ProjectCreateMeta.decode(modal["private_metadata"]) == ids.ProjectCreateMeta("C1")
    for key in ("title", "submit", "close"):
        assert len(modal[key]["text"]) <= 24
    elements = {b["block_id"]: b["element"] for b in modal["blocks"]}
    assert {block: (e["type"], e["action_id"]) for block, e in elements.items()} == {
        ids.PROJECT_NAME_BLOCK: ("plain_text_input", ids.TEXT_INPUT),
        ids.WORKSTREAM_BLOCK: ("static_select", ids.WORKSTREAM_INPUT),
        ids.PROJECT_DESCRIPTION_BLOCK: ("plain_text_input", ids.TEXT_INPUT),
        ids.PROJECT_MEMBERS_BLOCK: ("multi_users_select", ids.USERS_INPUT),
    }
    workstream = elements[ids.WORKSTREAM_BLOCK]
    assert [o["value"] for o in workstream["options"]] == list(v.WORKSTREAMS)
    assert workstream["initial_option"]["value"] == v.DEFAULT_WORKSTREAM


def test_an_empty_list_says_how_to_start() -> None:
    assert "`/project create <name>`" in all_text(list_view([], filter="all")["blocks"])
