"""The review message's buttons and checklist, and the sign-off message's buttons."""

from __future__ import annotations

import json
from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.review import reason_modal
from bot.listeners.actions.click import Click, perform
from bot.text import escape
from workflow import experiments, promotion, review
from workflow.errors import WorkflowError

REASON_PROMPTS = {
    "request_changes": ("Request changes", "What should the owner change in EXP-{n} ({kind} review)?"),
    "reject": (
        "Reject experiment",
        "Why is EXP-{n} rejected ({kind})? The owner and the thread will see this.",
    ),
}


def approve_review(
    ack: Ack, body: dict[str, Any], client: WebClient, context: Any, respond: Respond, logger: Logger
) -> None:
    ack()
    click = Click.parse(body, context, client, respond, logger)
    perform(
        click,
        lambda session: review.decide(
            session,
            team_id=click.team_id,
            number=click.number,
            kind=click.arg,
            decision="approve",
            actor_id=click.user_id,
            policy=click.services.policy,
        ),
    )


def toggle_checklist(
    ack: Ack, body: dict[str, Any], client: WebClient, context: Any, respond: Respond, logger: Logger
) -> None:
    ack()
    click = Click.parse(body, context, client, respond, logger)
    # The block id names the experiment; the difference between what the clicker saw and what
    # Slack now reports is what they clicked, so a stale message never undoes someone else's tick.
    click.value = click.action["block_id"].removeprefix("checklist:")
    selected = {o["value"] for o in click.action.get("selected_options") or []}
    shown = set()
    for block in click.message.get("blocks") or []:
        if block.get("block_id") == click.action["block_id"]:
            shown = {o["value"] for o in (block.get("accessory") or {}).get("initial_options") or []}
    perform(
        click,
        lambda session: review.tick(
            session,
            team_id=click.team_id,
            number=click.number,
            actor_id=click.user_id,
            ticked=selected - shown,
            unticked=shown - selected,
        ),
        redraw_on_refusal=True,
    )


def _ask_reason(click: Click, *, kind: str, decision: str, check: Any) -> None:
    """Refuse at once if the clicker may not decide; otherwise open the modal asking why."""
    try:
        number = click.number
        with click.services.db.session() as session:
            check(session, experiments.get(session, team_id=click.team_id, number=number))
    except WorkflowError as error:
        click.tell(f":warning: {escape(error.message)}")
        return
    title, label = REASON_PROMPTS[decision]
    metadata = json.dumps({"n": number, "kind": kind, "decision": decision, "channel": click.channel_id})
    client_view = reason_modal(
        title=title, label=label.format(n=number, kind=kind.replace("_", " ")), metadata=metadata
    )
    click.client.views_open(trigger_id=click.trigger_id, view=client_view)


def _review_reason(decision: str) -> Any:
    def listener(
        ack: Ack, body: dict[str, Any], client: WebClient, context: Any, respond: Respond, logger: Logger
    ) -> None:
        ack()
        click = Click.parse(body, context, client, respond, logger)
        _ask_reason(
            click,
            kind=click.arg,
            decision=decision,
            check=lambda session, e: review.check_decision(
                session,
                e,
                kind=click.arg,
                decision=decision,
                actor_id=click.user_id,
                policy=click.services.policy,
            ),
        )

    return listener


request_changes = _review_reason("request_changes")
reject_review = _review_reason("reject")


def approve_signoff(
    ack: Ack, body: dict[str, Any], client: WebClient, context: Any, respond: Respond, logger: Logger
) -> None:
    ack()
    click = Click.parse(body, context, client, respond, logger)
    perform(
        click,
        lambda session: promotion.sign_off(
            session,
            team_id=click.team_id,
            number=click.number,
            role=click.arg,
            actor_id=click.user_id,
            policy=click.services.policy,
        ),
    )


def reject_signoff(
    ack: Ack, body: dict[str, Any], client: WebClient, context: Any, respond: Respond, logger: Logger
) -> None:
    ack()
    click = Click.parse(body, context, client, respond, logger)
    _ask_reason(
        click,
        kind="sign-off",
        decision="reject",
        check=lambda session, e: promotion.check_reject_promotion(
            session, e, actor_id=click.user_id, policy=click.services.policy
        ),
    )
