"""Submission of the bias check modal: field errors inline, else the check is stored, the review
message refreshed and the check posted in the thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.listeners.views.submission import STALE_FORM, Submission
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


def submit_bias_check(ack: Ack, body: dict[str, Any], context: Any) -> None:
    form = Submission.parse(body)
    meta = ids.BiasCheckMeta.decode(form.metadata)
    if meta is None:
        ack(response_action="errors", errors={ids.BIAS_CHECKS_BLOCK: STALE_FORM})
        return
    services = services_of(context)
    try:
        with services.db.session() as session:
            bias_checks.record(
                session,
                team_id=form.team_id,
                user_id=form.user_id,
                number=meta.number,
                checks=form.checked(ids.BIAS_CHECKS_BLOCK),
                data=form.text(ids.BIAS_DATA_BLOCK),
                findings=form.text(ids.BIAS_FINDINGS_BLOCK),
                result=form.selected(ids.BIAS_RESULT_BLOCK),
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
