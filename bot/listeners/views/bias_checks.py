"""Submission of the bias check modal: field errors inline, else the check is stored, the review
message refreshed and the check posted in the thread."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.services import services_of
from storage.types import utcnow
from workflow import bias_checks
from workflow.errors import WorkflowError

BLOCK_OF = {
    bias_checks.CHECKS_FIELD: ids.BIAS_CHECKS_BLOCK,
    bias_checks.DATA: ids.BIAS_DATA_BLOCK,
    bias_checks.FINDINGS: ids.BIAS_FINDINGS_BLOCK,
    bias_checks.RESULT: ids.BIAS_RESULT_BLOCK,
}


def _state(values: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(action_id) or {}


def submit_bias_check(ack: Ack, body: dict[str, Any], context: Any) -> None:
    view = body["view"]
    values = view["state"]["values"]
    number = int(json.loads(view.get("private_metadata") or "{}").get("number", 0))
    ticked = _state(values, ids.BIAS_CHECKS_BLOCK, ids.CHOICE_INPUT).get("selected_options") or []
    result = _state(values, ids.BIAS_RESULT_BLOCK, ids.CHOICE_INPUT).get("selected_option") or {}
    services = services_of(context)
    try:
        with services.db.session() as session:
            bias_checks.record(
                session,
                team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                number=number,
                checks=[o.get("value", "") for o in ticked],
                data=_state(values, ids.BIAS_DATA_BLOCK, ids.TEXT_INPUT).get("value"),
                findings=_state(values, ids.BIAS_FINDINGS_BLOCK, ids.TEXT_INPUT).get("value"),
                result=result.get("value"),
                now=utcnow(),
            )
    except bias_checks.BiasCheckInvalid as error:
        ack(response_action="errors", errors={BLOCK_OF[name]: text for name, text in error.errors.items()})
        return
    except WorkflowError as error:
        # Nothing was stored (no longer an ethics reviewer, experiment gone): say so in the form.
        ack(response_action="errors", errors={ids.BIAS_CHECKS_BLOCK: error.message})
        return
    ack()
