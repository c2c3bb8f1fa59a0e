"""Submission of the modal that asks why changes are requested or an experiment is rejected."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.services import services_of
from workflow import promotion, review
from workflow import vocabulary as v
from workflow.errors import WorkflowError


def submit_reason(ack: Ack, body: dict[str, Any], context: Any) -> None:
    view = body["view"]
    meta = json.loads(view.get("private_metadata") or "{}")
    reason = view["state"]["values"][ids.REASON_BLOCK][ids.REASON_INPUT].get("value") or ""
    services = services_of(context)
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    number, kind, decision = int(meta["n"]), str(meta["kind"]), str(meta["decision"])
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
