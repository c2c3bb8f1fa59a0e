"""Submission of the modal that asks why changes are requested or an experiment is rejected."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.listeners.views.submission import STALE_FORM, Submission
from bot.services import services_of
from workflow import promotion, review
from workflow import vocabulary as v
from workflow.errors import WorkflowError


def submit_reason(ack: Ack, body: dict[str, Any], context: Any) -> None:
    form = Submission.parse(body)
    meta = ids.ReasonMeta.decode(form.metadata)
    if meta is None:
        ack(response_action="errors", errors={ids.REASON_BLOCK: STALE_FORM})
        return
    reason = form.text(ids.REASON_BLOCK) or ""
    services = services_of(context)
    team_id, user_id = form.team_id, form.user_id
    number, kind, decision = meta.number, meta.kind, meta.decision
    try:
        with services.db.session() as session:
            if kind == v.SignOff.SIGN_OFF:
                promotion.reject_promotion(
                    session,
                    team_id=team_id,
                    number=number,
                    actor_id=user_id,
                    reason=reason,
                    policy=services.policy,
                )
            else:
                review.decide(
                    session,
                    team_id=team_id,
                    number=number,
                    kind=kind,
                    decision=decision,
                    actor_id=user_id,
                    policy=services.policy,
                    reason=reason,
                )
    except WorkflowError as error:
        # Shown under the reason field; the modal stays open and nothing was written.
        ack(response_action="errors", errors={ids.REASON_BLOCK: error.message})
        return
    # The decision, its audit record, the reason posted in the thread and the card's update
    # were all written together; the delivery worker shows them.
    ack()
