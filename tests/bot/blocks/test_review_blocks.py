"""Builders for the review thread: inside Slack's Block Kit limits whatever the data, and carrying
the block ids, button values and metadata the listeners read back."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import ids
from bot.blocks.review import history_view, reason_modal, review_message, signoff_message
from storage.models import Approval, AuditEvent, ChecklistItem, Experiment, Review
from tests.harness import all_text
from workflow import vocabulary as v
from workflow.experiments import ExperimentDetail
from workflow.refs import Ref


def test_a_long_history_fits_one_message_without_cutting_lines() -> None:
    events = [
        AuditEvent(
            id=i,
            team_id="T",
            experiment_id=1,
            actor_id="U0123456789",
            action="metrics",
            detail="<&>" * 200,  # escapes to far more than the 200 characters shown per line
            created_at=datetime(2026, 11, 24, tzinfo=UTC),
        )
        for i in range(250)
    ]
    view = history_view("EXP-1", events)
    assert len(view["blocks"]) <= 50
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert all(len(text) < 3000 for text in sections[1:])
    assert sum(text.count("\n") + 1 for text in sections[1:]) == 200
    assert "50 earlier events are not shown" in str(view["blocks"])


def test_the_history_names_the_evidence_of_each_decision_and_says_when_none_was_kept() -> None:
    at = datetime(2026, 11, 24, tzinfo=UTC)

    def event(action: str, **kwargs: object) -> AuditEvent:
        return AuditEvent(team_id="T", experiment_id=1, actor_id="U1", action=action, created_at=at, **kwargs)

    events = [
        event(v.Step.review(v.ReviewKind.ETHICS), detail="approved", evidence_digest="0123456789ab"),
        event(v.Step.signoff(v.Role.SECURITY), detail="approved"),  # given before evidence was kept
        event(
            v.Step.status(v.Status.REJECTED), detail="approved → rejected: at sign-off: no", gate="sign-off"
        ),
        event(v.AuditAction.METRICS, detail="accuracy=0.91"),
    ]
    lines = [
        line for line in all_text(history_view("EXP-1", events)["blocks"]).splitlines() if "<@U1>" in line
    ]
    assert lines[0].endswith("ethics review: approved · evidence `0123456789ab`")
    assert lines[1].endswith("· no evidence kept (decided before evidence was recorded)")
    assert lines[2].endswith("· no evidence kept (decided before evidence was recorded)")
    assert "evidence" not in lines[3]


def _detail(status: str, **kwargs: object) -> ExperimentDetail:
    created = datetime(2026, 11, 23, tzinfo=UTC)
    e = Experiment(
        id=1, team_id="T", number=1, hypothesis="h", workstream="w", owner_id="U1", timeline_weeks=2,
        status=status, created_at=created, updated_at=created, status_changed_at=created,
    )  # fmt: skip
    reviews = [Review(team_id="T", experiment_id=1, kind=k) for k in v.ReviewKind]
    checklist = [ChecklistItem(team_id="T", experiment_id=1, key=k) for k in v.CHECKLIST]
    checklist[0].checked_by = "U1"
    values: dict = {"reviews": reviews, "checklist": checklist, "approvals": [], "metrics": [], **kwargs}
    return ExperimentDetail(experiment=e, **values)


def test_each_pending_review_has_a_row_of_buttons_naming_the_experiment_and_the_kind() -> None:
    blocks = review_message(_detail(v.Status.IN_REVIEW))["blocks"]
    rows = [b for b in blocks if b["type"] == "actions"]
    reviews = [b for b in rows if b["block_id"].startswith(f"{ids.REVIEW_BUTTONS_BLOCK}:")]
    assert [b["block_id"] for b in reviews] == [
        ids.block_id(ids.REVIEW_BUTTONS_BLOCK, Ref.experiment(1), k) for k in v.ReviewKind
    ]
    for row, kind in zip(reviews, tuple(v.ReviewKind), strict=True):
        buttons = [(b["action_id"], b["value"]) for b in row["elements"]]
        assert buttons == [
            (ids.REVIEW_APPROVE, f"1:{kind}"),
            (ids.REVIEW_REQUEST_CHANGES, f"1:{kind}"),
            (ids.REVIEW_REJECT, f"1:{kind}"),
        ]
    # Under the ethics review: the Record bias checks button.
    assert ids.block_id(ids.RECORD_BIAS_CHECK_BLOCK, Ref.experiment(1)) in [b["block_id"] for b in rows]


def test_the_checklist_names_the_experiment_in_its_block_id_and_shows_what_is_ticked() -> None:
    blocks = review_message(_detail(v.Status.IN_REVIEW))["blocks"]
    [checklist] = [b for b in blocks if b.get("block_id") == "checklist:1"]
    assert ids.parse_block_id(checklist["block_id"]) == (ids.CHECKLIST_BLOCK, Ref.experiment(1))
    element = checklist["accessory"]
    assert element["action_id"] == ids.CHECKLIST
    assert [o["value"] for o in element["options"]] == list(v.CHECKLIST)
    assert [o["value"] for o in element["initial_options"]] == [next(iter(v.CHECKLIST))]


def test_a_closed_review_has_no_buttons() -> None:
    blocks = review_message(_detail(v.Status.REJECTED))["blocks"]
    assert not [b for b in blocks if b["type"] == "actions"]


def test_sign_off_buttons_carry_the_experiment_and_the_role() -> None:
    approval = Approval(
        team_id="T", experiment_id=1, role="security", approver_id="U9", approved_at=datetime.now(UTC)
    )
    blocks = signoff_message(_detail(v.Status.APPROVED, approvals=[approval]))["blocks"]
    lines = {b["block_id"]: b for b in blocks if b.get("block_id", "").startswith(f"{ids.SIGNOFF_BLOCK}:")}
    assert list(lines) == [ids.block_id(ids.SIGNOFF_BLOCK, Ref.experiment(1), r) for r in v.APPROVER_ROLES]
    approve = {
        block_id: (b["accessory"]["action_id"], b["accessory"]["value"])
        for block_id, b in lines.items()
        if "accessory" in b
    }
    assert approve == {
        "signoff:1:technical_lead": (ids.SIGNOFF_APPROVE, "1:technical_lead"),
        "signoff:1:product_owner": (ids.SIGNOFF_APPROVE, "1:product_owner"),
    }
    [reject] = [b for b in blocks if b["type"] == "actions"]
    assert (
        reject["block_id"] == ids.block_id(ids.SIGNOFF_REJECT_BLOCK, Ref.experiment(1)) == "signoff_reject:1"
    )
    assert [(b["action_id"], b["value"]) for b in reject["elements"]] == [(ids.SIGNOFF_REJECT, "1")]


def test_the_reason_modal_carries_what_the_reason_is_for() -> None:
    meta = ids.ReasonMeta(1, v.SignOff.SIGN_OFF, "reject", "C1")
    modal = reason_modal(title="Reject experiment with a long title", label="Why?", metadata=meta)
    assert modal["callback_id"] == ids.REASON_MODAL
    assert ids.ReasonMeta.decode(modal["private_metadata"]) == meta
    assert len(modal["title"]["text"]) <= 24
    [block] = modal["blocks"]
    assert (block["block_id"], block["element"]["action_id"]) == (ids.REASON_BLOCK, ids.REASON_INPUT)
    assert block["element"]["max_length"] == v.REASON_MAX_CHARS
