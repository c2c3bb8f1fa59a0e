"""The experiment builders: pure functions, checked against Slack's limits without mocks."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import ids
from bot.blocks.experiments import card, list_view, propose_modal, submit_modal
from storage.models import Experiment, Review
from workflow import vocabulary as v
from workflow.experiments import ExperimentDetail, ExperimentPage


def _experiment(number: int = 1, hypothesis: str = "Retrieval helps", **kwargs: object) -> Experiment:
    created = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    return Experiment(
        id=number,
        team_id="T1",
        number=number,
        hypothesis=hypothesis,
        workstream="experimentation",
        owner_id="U1",
        status=v.Status.PROPOSED,
        timeline_weeks=2,
        created_at=created,
        updated_at=created,
        status_changed_at=created,
        **kwargs,
    )


def _detail(experiment: Experiment) -> ExperimentDetail:
    reviews = [Review(team_id="T1", experiment_id=1, kind=k) for k in v.ReviewKind]
    return ExperimentDetail(experiment=experiment, reviews=reviews, checklist=[], approvals=[], metrics=[])


def test_card_shows_the_essentials_and_fits_slack_limits() -> None:
    payload = card(_detail(_experiment(hypothesis="x" * v.HYPOTHESIS_MAX_CHARS)))
    blocks = payload["blocks"]
    assert blocks[0]["type"] == "header" and blocks[0]["block_id"] == ids.CARD_HEADER_BLOCK
    assert blocks[0]["text"]["text"] == "EXP-1 · proposed"
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
    assert "target 2026-12-07" in str(blocks)
    assert len(payload["text"]) < 4000


def test_card_escapes_the_hypothesis_in_blocks_and_fallback() -> None:
    payload = card(_detail(_experiment(hypothesis="<!channel> & <@U2>")))
    assert "&lt;!channel&gt; &amp; &lt;@U2&gt;" in payload["blocks"][1]["text"]["text"]
    assert "<!channel>" not in payload["text"] and "<@U2>" not in payload["text"]


def test_list_caps_and_says_how_many_more() -> None:
    items = [_experiment(n) for n in range(15, 0, -1)]
    payload = list_view(ExperimentPage(items=items, total=40, filter="all"))
    assert "and 25 more" in str(payload["blocks"][-1])
    assert len(payload["blocks"]) <= 50


def test_list_links_each_experiment_to_its_card() -> None:
    e = _experiment(4, channel_id="C1", message_ts="1700000001.000100")
    payload = list_view(ExperimentPage(items=[e], total=1, filter="mine"))
    assert "<https://slack.com/archives/C1/p1700000001000100|EXP-4>" in str(payload["blocks"])


def test_empty_list_says_so() -> None:
    payload = list_view(ExperimentPage(items=[], total=0, filter="production"))
    assert "Nothing here yet" in str(payload["blocks"])


def test_propose_modal_respects_slack_limits() -> None:
    modal = propose_modal(channel_id="C1")
    assert modal["callback_id"] == ids.PROPOSE_MODAL
    assert modal["private_metadata"] == "C1"
    for key in ("title", "submit", "close"):
        assert len(modal[key]["text"]) <= 24
    assert {b["block_id"] for b in modal["blocks"]} == {
        ids.HYPOTHESIS_BLOCK,
        ids.WORKSTREAM_BLOCK,
        ids.CRITERIA_BLOCK,
    }


def test_submit_modal_asks_for_artifacts_and_optional_evidence_within_slack_limits() -> None:
    modal = submit_modal(number=12, channel_id="C1")
    assert ids.SubmitMeta.decode(modal["private_metadata"]) == ids.SubmitMeta(12, "C1")
    for key in ("title", "submit", "close"):
        assert len(modal[key]["text"]) <= 24
    inputs = {b["block_id"]: b for b in modal["blocks"]}
    assert not inputs[ids.ARTIFACTS_BLOCK]["optional"] and inputs[ids.EVIDENCE_BLOCK]["optional"]
    assert all(len(b["hint"]["text"]) <= 2000 for b in modal["blocks"])


def test_propose_modal_offers_the_projects_by_name_and_carries_its_channel() -> None:
    modal = propose_modal(channel_id="C1", projects=["support-bot", "search"])
    assert ids.ProposeMeta.decode(modal["private_metadata"]) == ids.ProposeMeta("C1")
    elements = {b["block_id"]: b["element"] for b in modal["blocks"]}
    assert {block: e["action_id"] for block, e in elements.items()} == {
        ids.HYPOTHESIS_BLOCK: ids.HYPOTHESIS_INPUT,
        ids.WORKSTREAM_BLOCK: ids.WORKSTREAM_INPUT,
        ids.CRITERIA_BLOCK: ids.CRITERIA_INPUT,
        ids.PROJECT_BLOCK: ids.PROJECT_INPUT,
    }
    assert [o["value"] for o in elements[ids.PROJECT_BLOCK]["options"]] == ["support-bot", "search"]
