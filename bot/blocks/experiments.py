"""The experiment card, its detail view, the list, and the propose modal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot import ids
from bot.blocks import Block, Message, context, divider, fields, header, message, section
from bot.blocks.bias_checks import UNCHECKED_APPROVAL, approved_unchecked, checks_block
from bot.blocks.deliveries import problem_block
from bot.blocks.evidence import computed_item_line, criteria_block, evidence_block
from bot.blocks.learnings import learning_lines
from bot.text import escape, truncate, user_mention
from storage.models import Experiment, Learning
from workflow import estimates
from workflow import vocabulary as v
from workflow.criteria import COMPUTED_ITEM
from workflow.delivery import Problem
from workflow.experiments import ExperimentDetail, ExperimentPage, ref

STATUS_LABEL: dict[str, str] = {
    v.Status.PROPOSED: ":seedling: proposed",
    v.Status.IN_REVIEW: ":mag: in review",
    v.Status.CHANGES_REQUESTED: ":leftwards_arrow_with_hook: changes requested",
    v.Status.REVIEWED: ":white_check_mark: reviewed",
    v.Status.APPROVED: ":hourglass_flowing_sand: approved, awaiting sign-off",
    v.Status.PRODUCTION: ":rocket: production",
    v.Status.REJECTED: ":no_entry: rejected",
    v.Status.WITHDRAWN: ":wastebasket: withdrawn",
}
# Beside a review whose approval went stale, with what changed, until it is decided again.
STALE_LABEL = "approval went stale, the evidence changed"
SIGNOFF_CLOSED_LABEL = "the sign-off request closed"
REVIEW_LABEL = {
    v.ReviewState.PENDING: ":white_circle: pending",
    v.ReviewState.APPROVED: ":large_green_circle: approved",
    v.ReviewState.CHANGES_REQUESTED: ":large_orange_circle: changes requested",
}


def status_label(status: str) -> str:
    return STATUS_LABEL.get(status, status)


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d")


def timeline(experiment: Experiment) -> str:
    """`~2 weeks (target 2026-12-07)` and, for an estimate learned from history, what it is based on."""
    if experiment.estimate_days is None:
        due = experiment.created_at + timedelta(weeks=experiment.timeline_weeks)
        return f"~{experiment.timeline_weeks} weeks (target {_date(due)})"
    return estimates.describe(experiment)


def card_link(experiment: Experiment) -> str:
    """A link to the card in its channel, or the bare id when no card was posted."""
    label = ref(experiment.number)
    if experiment.channel_id and experiment.message_ts:
        ts = experiment.message_ts.replace(".", "")
        return f"<https://slack.com/archives/{experiment.channel_id}/p{ts}|{label}>"
    return label


def _review_lines(d: ExperimentDetail) -> list[str]:
    lines = []
    for review in d.reviews:
        line = f"{review.kind.capitalize()}: {REVIEW_LABEL.get(review.status, review.status)}"
        if review.reviewer_id:
            line += f" by {user_mention(review.reviewer_id)}"
        if approved_unchecked(review.kind, review.status, d.bias_checks):
            line += f" ({UNCHECKED_APPROVAL})"
        if review.stale_note:
            line += f" · :warning: {STALE_LABEL} ({escape(review.stale_note)})"
        lines.append(line)
    return lines


def _approval_lines(d: ExperimentDetail) -> list[str]:
    given = {a.role: a for a in d.approvals}
    lines = []
    for role in v.APPROVER_ROLES:
        approval = given.get(role)
        label = role.replace("_", " ").capitalize()
        if approval:
            lines.append(f"{label}: :large_green_circle: {user_mention(approval.approver_id)}")
        else:
            lines.append(f"{label}: :white_circle: waiting")
    return lines


def _checklist_lines(d: ExperimentDetail) -> list[str]:
    ticked = {item.key for item in d.checklist if item.checked_by}
    computed = computed_item_line(d)
    return [
        computed
        if key == COMPUTED_ITEM and computed
        else f"{':ballot_box_with_check:' if key in ticked else ':white_square:'} {label}"
        for key, label in v.CHECKLIST.items()
    ]


def card(d: ExperimentDetail) -> Message:
    """The card posted to the channel and updated in place after every change."""
    e = d.experiment
    blocks: list[Block] = [
        header(f"{d.ref} · {e.status.replace('_', ' ')}", block_id=ids.CARD_HEADER_BLOCK),
        section(f"*Hypothesis*\n{escape(e.hypothesis)}"),
        fields(
            f"*Owner*\n{user_mention(e.owner_id)}",
            f"*Status*\n{status_label(e.status)}",
            f"*Workstream*\n{e.workstream}",
            f"*Timeline*\n{timeline(e)}",
        ),
        section("*Required reviews*\n" + "\n".join(_review_lines(d))),
    ]
    if e.status in (v.Status.APPROVED, v.Status.PRODUCTION) or d.approvals:
        blocks.append(section("*Production sign-off*\n" + "\n".join(_approval_lines(d))))
    elif e.signoff_note and e.status not in v.CLOSED_STATUSES:
        blocks.append(
            section(
                f"*Production sign-off*\n:warning: {SIGNOFF_CLOSED_LABEL}: {escape(e.signoff_note)}; "
                f"asked again with `/experiment promote {d.ref}`."
            )
        )
    blocks.append(
        context(
            f"Proposed by {user_mention(e.owner_id)} on {_date(e.created_at)} · `/experiment show {d.ref}`"
        )
    )
    fallback = f"{d.ref} ({e.status.replace('_', ' ')}): {truncate(escape(e.hypothesis), 200)}"
    return message(fallback, blocks)


def detail_view(
    d: ExperimentDetail,
    problems: Sequence[Problem] = (),
    *,
    estimate_now: estimates.Estimate | None = None,
    project: str | None = None,
    learned: Sequence[Learning] = (),
) -> Message:
    """Everything about one experiment, for an ephemeral `/experiment show`, with anything the
    bot could not post about it, and today's estimate when it differs from the one fixed at proposal."""
    e = d.experiment
    blocks = [problem_block(p) for p in problems] + card(d)["blocks"][:-1]
    if e.estimate_basis:
        blocks.append(context(f"Estimate based on: {escape(e.estimate_basis)}"))
    if estimate_now is not None and estimate_now.days != estimates.days_of(e):
        blocks.append(context(f"Today's estimate for a new experiment like it: {escape(estimate_now.text)}"))
    if project is not None:
        blocks.append(context(f"Serves project *{escape(project)}* · `/project show {escape(project)}`"))
    if e.artifacts:
        blocks.append(section(f"*Artifacts*\n{escape(e.artifacts)}"))
    blocks += [b for b in (evidence_block(d), criteria_block(d)) if b is not None]
    if e.status not in (v.Status.PROPOSED,):
        blocks.append(section("*Review checklist*\n" + "\n".join(_checklist_lines(d))))
    if d.metrics:
        metric_text = ", ".join(f"`{escape(m.name)}` = {m.value:g}" for m in d.metrics)
        blocks.append(section(f"*Metrics*\n{metric_text}"))
    checks = checks_block(d.bias_checks)
    if checks is not None:
        blocks.append(checks)
    blocks += learning_lines(learned)
    where = f" · card: {card_link(e)}" if e.message_ts else ""
    blocks.append(
        context(f"Updated {e.updated_at:%Y-%m-%d %H:%M} UTC{where} · `/experiment history {d.ref}`")
    )
    return message(f"{d.ref}: {truncate(escape(e.hypothesis), 200)}", blocks)


def list_view(page: ExperimentPage) -> Message:
    """An ephemeral list, newest first, capped with an "N more" line."""
    title = "All experiments" if page.filter == "all" else f"Experiments: {page.filter.replace('_', ' ')}"
    if not page.items:
        return message(f"{title}: none", [section(f"*{title}*\nNothing here yet.")])
    blocks: list[Block] = [section(f"*{title}* ({page.total})"), divider()]
    for e in page.items:
        blocks.append(
            section(
                f"*{card_link(e)}* · {status_label(e.status)} · {user_mention(e.owner_id)}\n"
                f"{truncate(escape(e.hypothesis), 300)}"
            )
        )
    hidden = page.total - len(page.items)
    if hidden > 0:
        blocks.append(context(f"…and {hidden} more. Narrow it with `/experiment list <status|mine>`."))
    return message(f"{title}: {page.total}", blocks)


# A static select holds at most 100 options.
MAX_PROJECT_OPTIONS = 100


def _option(name: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": name}, "value": name}


def workstream_select(initial: str = v.DEFAULT_WORKSTREAM) -> Block:
    options = [_option(name) for name in v.WORKSTREAMS]
    return {
        "type": "input",
        "block_id": ids.WORKSTREAM_BLOCK,
        "label": {"type": "plain_text", "text": "Workstream"},
        "element": {
            "type": "static_select",
            "action_id": ids.WORKSTREAM_INPUT,
            "options": options,
            "initial_option": _option(initial),
        },
    }


def propose_modal(*, channel_id: str, projects: Sequence[str] = ()) -> dict[str, Any]:
    """The modal `/experiment propose` opens when no hypothesis was typed; with the workspace's
    active projects, an optional select links the experiment to one of them."""
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": ids.HYPOTHESIS_BLOCK,
            "label": {"type": "plain_text", "text": "Hypothesis"},
            "element": {
                "type": "plain_text_input",
                "action_id": ids.HYPOTHESIS_INPUT,
                "multiline": True,
                "placeholder": {"type": "plain_text", "text": "Adding retrieval improves answer accuracy"},
            },
        },
        workstream_select(),
        _text_input(
            ids.CRITERIA_BLOCK,
            ids.CRITERIA_INPUT,
            "Success criteria",
            placeholder="accuracy>=0.90 latency_ms<=500",
            hint="Checked against the linked MLflow run (or the recorded metrics) before review can pass.",
        ),
    ]
    if projects:
        blocks.append(
            {
                "type": "input",
                "block_id": ids.PROJECT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Project"},
                "hint": {"type": "plain_text", "text": "The project this experiment serves, if any."},
                "element": {
                    "type": "static_select",
                    "action_id": ids.PROJECT_INPUT,
                    "placeholder": {"type": "plain_text", "text": "No project"},
                    "options": [_option(name) for name in projects[:MAX_PROJECT_OPTIONS]],
                },
            }
        )
    return {
        "type": "modal",
        "callback_id": ids.PROPOSE_MODAL,
        "private_metadata": ids.ProposeMeta(channel_id).encode(),
        "title": {"type": "plain_text", "text": "Propose an experiment"},
        "submit": {"type": "plain_text", "text": "Propose"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def _text_input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    placeholder: str,
    hint: str,
    optional: bool = True,
    multiline: bool = False,
) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "hint": {"type": "plain_text", "text": hint},
        "element": {
            "type": "plain_text_input",
            "action_id": action_id,
            "multiline": multiline,
            "placeholder": {"type": "plain_text", "text": placeholder},
        },
    }


def submit_modal(*, number: int, channel_id: str | None) -> dict[str, Any]:
    """The modal `/experiment submit EXP-1` opens when no artifacts were typed: the artifacts,
    and the evidence in MLflow to link with them."""
    blocks = [
        _text_input(
            ids.ARTIFACTS_BLOCK,
            ids.TEXT_INPUT,
            "Artifacts",
            placeholder="eval report, model card, … rollback: flip flag rag_v2 off",
            hint="Links or notes for the reviewers; a `rollback:` line goes into the deployment plan.",
            optional=False,
            multiline=True,
        ),
        _text_input(
            ids.EVIDENCE_BLOCK,
            ids.TEXT_INPUT,
            "Evidence in MLflow",
            placeholder="https://mlflow.example.com/#/experiments/1/runs/…",
            hint="Run URLs, runs:/<id>, models:/<name>/<version>; `baseline:` before the run to compare.",
            multiline=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.SUBMIT_MODAL,
        "private_metadata": ids.SubmitMeta(number, channel_id).encode(),
        "title": {"type": "plain_text", "text": f"Submit {ref(number)}"},
        "submit": {"type": "plain_text", "text": "Submit for review"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def proposed_confirmation(experiment: Experiment) -> str:
    return (
        f":white_check_mark: Proposed *{ref(experiment.number)}*. Its card is in this channel; "
        f"submit it for review with `/experiment submit {ref(experiment.number)} <artifact links>`."
    )
