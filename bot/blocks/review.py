"""The thread replies under an experiment's card: review, sign-off, deployment plan, notices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks import Block, Message, context, divider, message, section
from bot.blocks.bias_checks import UNCHECKED_APPROVAL, approved_unchecked, checks_block, record_button
from bot.blocks.evidence import computed_item_line, criteria_block, evidence_block
from bot.blocks.experiments import REVIEW_LABEL, STALE_LABEL, status_label
from bot.text import channel_mention, escape, truncate, user_mention
from storage.models import AuditEvent
from workflow import history
from workflow import vocabulary as v
from workflow.criteria import COMPUTED_ITEM
from workflow.experiments import ExperimentDetail
from workflow.outcome import Outcome
from workflow.promotion import DeploymentPlan
from workflow.refs import Ref, ref
from workflow.registry import ACTOR as ACTOR_MLFLOW

ROLE_TITLE = {
    v.Role.TECHNICAL_LEAD: "Technical lead",
    v.Role.PRODUCT_OWNER: "Product owner",
    v.Role.SECURITY: "Security",
}


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _checklist_block(d: ExperimentDetail, *, editable: bool) -> Block:
    ticked = {item.key for item in d.checklist if item.checked_by}
    computed = computed_item_line(d)
    # With success criteria, their item is computed: shown, never a box to tick.
    by_hand = {k: label for k, label in v.CHECKLIST.items() if computed is None or k != COMPUTED_ITEM}
    if not editable:
        lines = [
            f"{':ballot_box_with_check:' if key in ticked else ':white_square:'} {label}"
            for key, label in by_hand.items()
        ]
        return section("*Review checklist*\n" + "\n".join([computed, *lines] if computed else lines))
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": key} for key, label in by_hand.items()
    ]
    element: Block = {"type": "checkboxes", "action_id": ids.CHECKLIST, "options": options}
    selected = [o for o in options if o["value"] in ticked]
    if selected:
        element["initial_options"] = selected
    return {
        "type": "section",
        "block_id": ids.block_id(ids.CHECKLIST_BLOCK, Ref.experiment(d.experiment.number)),
        "text": {
            "type": "mrkdwn",
            "text": f"*Review checklist* (ticked by the owner, {user_mention(d.experiment.owner_id)})"
            + (f"\n{computed}" if computed else ""),
        },
        "accessory": element,
    }


def review_message(d: ExperimentDetail) -> Message:
    """The artifacts, the checklist and a row of buttons per required review."""
    e = d.experiment
    open_for_review = e.status == v.Status.IN_REVIEW
    blocks: list[Block] = [
        section(f"*{d.ref} is up for review* · {status_label(e.status)}"),
        section(f"*Artifacts*\n{escape(e.artifacts or '(none)')}"),
    ]
    blocks += [b for b in (evidence_block(d), criteria_block(d)) if b is not None]
    blocks += [
        _checklist_block(d, editable=e.status in (v.Status.IN_REVIEW, v.Status.CHANGES_REQUESTED)),
        divider(),
    ]
    for review in d.reviews:
        line = f"*{review.kind.capitalize()} review*: {REVIEW_LABEL.get(review.status, review.status)}"
        if review.reviewer_id and review.decided_at:
            line += f" by {user_mention(review.reviewer_id)} on {_when(review.decided_at)}"
        if review.stale_note:
            line += f" · :warning: _{STALE_LABEL}: {escape(review.stale_note)}_"
        if approved_unchecked(review.kind, review.status, d.bias_checks):
            line += f" · _{UNCHECKED_APPROVAL}_"
        if review.reason:
            line += f"\n> {truncate(escape(review.reason), 1000)}"
        blocks.append(section(line))
        if open_for_review and review.status == v.ReviewState.PENDING:
            value = ids.button_value(Ref.experiment(e.number), review.kind)
            blocks.append(
                {
                    "type": "actions",
                    "block_id": ids.block_id(ids.REVIEW_BUTTONS_BLOCK, Ref.experiment(e.number), review.kind),
                    "elements": [
                        _button("Approve", ids.REVIEW_APPROVE, value, "primary"),
                        _button("Request changes", ids.REVIEW_REQUEST_CHANGES, value),
                        _button("Reject", ids.REVIEW_REJECT, value, "danger"),
                    ],
                }
            )
        if review.kind == v.ReviewKind.ETHICS:
            checks = checks_block(d.bias_checks)
            if checks is not None:
                blocks.append(checks)
            if e.status not in v.CLOSED_STATUSES:
                blocks.append(record_button(e.number))
    reviewers = ", ".join(f"`{v.REVIEWER_ROLE[k]}`" for k in v.ReviewKind)
    blocks.append(
        context(
            f"Reviews are decided by holders of {reviewers}; nobody reviews their own experiment. "
            f"When all three approve and the checklist is complete, {d.ref} is reviewed."
        )
    )
    return message(f"{d.ref} is up for review", blocks)


def signoff_message(d: ExperimentDetail) -> Message:
    """One Approve button per sign-off role, and a Reject for any of them."""
    e = d.experiment
    given = {a.role: a for a in d.approvals}
    waiting = e.status == v.Status.APPROVED
    blocks: list[Block] = [
        section(
            f"*{d.ref} is ready for production.* {user_mention(e.owner_id)} asked for sign-off; "
            "each role approves here, and each sign-off needs a different person."
        )
    ]
    for role in v.APPROVER_ROLES:
        approval = given.get(role)
        if approval:
            who, when = user_mention(approval.approver_id), _when(approval.approved_at)
            text = f"*{ROLE_TITLE[role]}*: :large_green_circle: approved by {who} on {when}"
        else:
            text = f"*{ROLE_TITLE[role]}* (`{role}`): :white_circle: waiting"
        block = section(text, block_id=ids.block_id(ids.SIGNOFF_BLOCK, Ref.experiment(e.number), role))
        if waiting and not approval:
            block["accessory"] = _button(
                "Approve", ids.SIGNOFF_APPROVE, ids.button_value(Ref.experiment(e.number), role), "primary"
            )
        blocks.append(block)
    if waiting:
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.block_id(ids.SIGNOFF_REJECT_BLOCK, Ref.experiment(e.number)),
                "elements": [
                    _button(
                        "Reject", ids.SIGNOFF_REJECT, ids.button_value(Ref.experiment(e.number)), "danger"
                    )
                ],
            }
        )
    elif e.signoff_note and e.status in (v.Status.IN_REVIEW, v.Status.REVIEWED):
        again = "" if e.status == v.Status.REVIEWED else "Once the reviews are approved again, "
        blocks.append(
            context(
                f":warning: Sign-off closed: {escape(e.signoff_note)}. "
                f"{again}`/experiment promote {d.ref}` asks all three again."
            )
        )
    else:
        blocks.append(context(f"Sign-off closed: {status_label(e.status)}"))
    return message(f"{d.ref} needs production sign-off", blocks)


def deployment_message(plan: DeploymentPlan) -> Message:
    e = plan.experiment
    stages = "\n".join(f"{i}. {stage}" for i, stage in enumerate(plan.stages, 1))
    rollback = (
        escape(plan.rollback)
        if plan.rollback
        else ":warning: no `rollback:` line in the artifacts; write it down before the first stage."
    )
    if plan.thresholds:
        monitors = "\n".join(
            f"• `{escape(t.metric.name)}`: recorded {t.metric.value:g}, alert if "
            f"{'above' if t.lower_is_better else 'below'} {t.limit:.4g}"
            for t in plan.thresholds
        )
    else:
        monitors = "• No metrics recorded: add them with `/experiment metric` so the rollout has thresholds."
    alerts = channel_mention(plan.alert_channel) if plan.alert_channel else "the team channel"
    registry = _registry_step(plan)
    blocks = [
        section(f":rocket: *{ref(e.number)} is in production.* Owner: {user_mention(e.owner_id)}"),
        section(f"*Staged rollout* (advance only while every metric is within its threshold)\n{stages}"),
        section(f"*Rollback plan*\n{rollback}"),
        section(f"*Monitoring*\n{monitors}\nAlerts go to {alerts}."),
        *([section(f"*Model registry*\n{registry}")] if registry else []),
        context(f"Post-launch review on {plan.review_on:%Y-%m-%d}."),
    ]
    return message(f"{ref(e.number)} is in production: deployment plan and monitoring", blocks)


def _registry_step(plan: DeploymentPlan) -> str | None:
    """What happens in MLflow's registry: the bot sets the alias, or someone must."""
    if plan.model is None:
        return None
    model = f"{escape(plan.model.model or '')} v{escape(plan.model.version or '')}"
    if plan.promote_alias:
        return (
            f"The bot sets `@{escape(plan.promote_alias)}` on *{model}* in MLflow (`MLFLOW_PROMOTE_ALIAS`)."
        )
    return f"Set the production alias on *{model}* in MLflow: the sign-offs above are what allow it."


def decision_notice(d: ExperimentDetail, *, actor_id: str, what: str, reason: str) -> Message:
    """Posted in the thread when changes are requested or the experiment is rejected."""
    e = d.experiment
    if e.status == v.Status.CHANGES_REQUESTED:
        headline = f":leftwards_arrow_with_hook: {user_mention(actor_id)} requested changes in the {what}."
        follow = f"{user_mention(e.owner_id)}, resubmit with `/experiment submit {d.ref} <artifacts>`."
    else:
        headline = f":no_entry: {user_mention(actor_id)} rejected {d.ref} ({what})."
        follow = f"{user_mention(e.owner_id)}, {d.ref} is closed."
    text = f"{headline}\n> {truncate(escape(reason), 1000)}\n{follow}"
    return message(f"{headline} {truncate(escape(reason), 200)}", [section(text)])


def resubmitted_notice(d: ExperimentDetail) -> Message:
    text = (
        f":arrows_counterclockwise: {user_mention(d.experiment.owner_id)} resubmitted {d.ref}; "
        "the reviews that asked for changes are open again.\n"
        f"*Artifacts*\n{escape(d.experiment.artifacts or '')}"
    )
    return message(f"{d.ref} was resubmitted", [section(text)])


def stale_notice(d: ExperimentDetail, *, actor_id: str, people: Sequence[str], summary: str) -> Message:
    """Decisions went stale: the people who gave them, once, with what changed."""
    who = " ".join(user_mention(p) for p in people)
    again = (
        f"Once the reviews are approved again, {user_mention(d.experiment.owner_id)} asks for sign-off "
        f"again with `/experiment promote {d.ref}`."
        if d.experiment.signoff_note
        else ""
    )
    text = (
        f":warning: {user_mention(actor_id)} changed the evidence of {d.ref} after decisions made on it, "
        f"so they no longer count: {escape(summary)}.\n{who}, please look again. {again}"
    )
    return message(f"Decisions on {d.ref} went stale", [section(text.strip())])


def expired_notice(d: ExperimentDetail, *, why: str) -> Message:
    """The sign-off request closed unanswered: the owner is told how to ask again."""
    text = (
        f":hourglass: The sign-off request for {d.ref} closed: {escape(why)}; the sign-offs given "
        f"expire with it. {user_mention(d.experiment.owner_id)}, ask again with "
        f"`/experiment promote {d.ref}`."
    )
    return message(f"The sign-off request for {d.ref} expired", [section(text)])


def reason_modal(*, title: str, label: str, metadata: ids.ReasonMeta) -> dict[str, Any]:
    """The modal asking why; `metadata` says what the reason is for."""
    return {
        "type": "modal",
        "callback_id": ids.REASON_MODAL,
        "private_metadata": metadata.encode(),
        "title": {"type": "plain_text", "text": truncate(title, 24)},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": ids.REASON_BLOCK,
                "label": {"type": "plain_text", "text": truncate(label, 2000)},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REASON_INPUT,
                    "multiline": True,
                    "max_length": v.REASON_MAX_CHARS,
                },
            }
        ],
    }


def step_confirmation(d: ExperimentDetail, outcome: Outcome) -> str:
    """The private answer to the owner after a `/experiment` step."""
    if not outcome.changed:
        return f":information_source: {escape(outcome.note or 'Nothing to change.')}"
    if outcome.moved_to == v.Status.IN_REVIEW:
        return (
            f":white_check_mark: Submitted *{d.ref}* for review. The review checklist and the reviewers' "
            "buttons are in its card's thread; tick each item there as you complete it."
        )
    if outcome.moved_to == v.Status.APPROVED:
        roles = ", ".join(f"`{role}`" for role in v.APPROVER_ROLES)
        return f":white_check_mark: Asked for production sign-off on *{d.ref}* from {roles}, in its thread."
    if outcome.moved_to == v.Status.WITHDRAWN:
        return f":wastebasket: Withdrew *{d.ref}*."
    recorded = ", ".join(f"`{escape(m.name)}` = {m.value:g}" for m in d.metrics)
    note = f"\n:warning: {escape(outcome.note)}" if outcome.note else ""
    return f":white_check_mark: Metrics of *{d.ref}*: {recorded}.{note}"


def missing_text(ref: str, missing: list[str]) -> str:
    """Exactly what stands between an experiment and production, as a list."""
    lines = "\n".join(f"• {escape(item)}" for item in missing)
    return f":warning: *{ref}* can't be promoted yet. Missing:\n{lines}"


# Each line is at most ~280 characters, so ten stay inside a section's 3000; 20 blocks fit a message.
HISTORY_LINES_PER_BLOCK = 10
HISTORY_MAX_EVENTS = 200


# Actions named whole (their prefix is no status, review or role).
_WHOLE_LABELS: dict[str, str] = {
    v.AuditAction.EVIDENCE_LINKED: "linked evidence",
    v.AuditAction.EVIDENCE_READ: "MLflow re-read found new values",
    v.AuditAction.CRITERIA: "success criteria",
    v.AuditAction.ALIAS_OUTSIDE_APPROVAL: "guarded alias set outside approval",
    v.AuditAction.DEPLOYED: "recorded as deployed",
    v.AuditAction.ALIAS_SET: "set the registry alias",
    v.AuditAction.ALIAS_REMOVED: "guarded alias removed",
}


def _action_label(action: str) -> str:
    if action in _WHOLE_LABELS:
        return _WHOLE_LABELS[action]
    kind, _, what = action.partition(":")
    labels: dict[str, str] = {
        v.AuditAction.STATUS: f"moved to {what.replace('_', ' ')}",
        v.AuditAction.REVIEW: f"{what} review",
        v.AuditAction.SIGNOFF: f"signed off as {what}",
        v.AuditAction.CHECKLIST: "checklist",
        v.AuditAction.METRICS: "metrics",
        v.AuditAction.PROPOSED: "proposed",
        v.AuditAction.STALE: "decisions went stale",
    }
    return labels.get(kind, action.replace("_", " "))


def _actor(actor_id: str) -> str:
    if actor_id == v.SCHEDULER:
        return "the scheduler"
    return "MLflow" if actor_id == ACTOR_MLFLOW else user_mention(actor_id)


def _evidence(event: AuditEvent) -> str:
    """What a decision was made on, by digest; a decision from before evidence was kept says so."""
    if event.evidence_digest:
        return f" · evidence `{event.evidence_digest}`"
    return " · no evidence kept (decided before evidence was recorded)" if history.is_decision(event) else ""


def history_view(d_ref: str, events: Sequence[AuditEvent]) -> Message:
    """The audit trail, oldest first: every transition and click, with who and when."""
    shown = list(events)[-HISTORY_MAX_EVENTS:]
    lines = [
        f"`{e.created_at:%Y-%m-%d %H:%M:%S}` {_actor(e.actor_id)} {_action_label(e.action)}"
        + (f": {truncate(escape(e.detail), 200)}" if e.detail else "")
        + _evidence(e)
        for e in shown
    ]
    blocks: list[Block] = [section(f"*History of {d_ref}* (UTC, oldest first)")]
    if len(events) > len(shown):
        blocks.append(context(f"{len(events) - len(shown)} earlier events are not shown."))
    for start in range(0, len(lines), HISTORY_LINES_PER_BLOCK):
        blocks.append(section("\n".join(lines[start : start + HISTORY_LINES_PER_BLOCK])))
    return message(f"History of {d_ref}: {len(events)} events", blocks)
