"""Submission of the standup answer modal: field errors inline, else the answer is stored."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.services import services_of
from storage.types import utcnow
from workflow import standups
from workflow.errors import WorkflowError

BLOCK_OF = {
    standups.PROGRESS: ids.STANDUP_PROGRESS_BLOCK,
    standups.BLOCKERS: ids.STANDUP_BLOCKERS_BLOCK,
    standups.HELP: ids.STANDUP_HELP_BLOCK,
}


def _value(values: dict[str, Any], block_id: str) -> str | None:
    return (values.get(block_id) or {}).get(ids.STANDUP_INPUT, {}).get("value")


def submit_answer(ack: Ack, body: dict[str, Any], context: Any) -> None:
    view = body["view"]
    values = view["state"]["values"]
    run_id = int(json.loads(view.get("private_metadata") or "{}").get("run", 0))
    services = services_of(context)
    try:
        with services.db.session() as session:
            standups.answer(
                session,
                team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                run_id=run_id,
                progress=_value(values, ids.STANDUP_PROGRESS_BLOCK),
                blockers=_value(values, ids.STANDUP_BLOCKERS_BLOCK),
                help=_value(values, ids.STANDUP_HELP_BLOCK),
                now=utcnow(),
            )
    except standups.AnswerInvalid as error:
        ack(response_action="errors", errors={BLOCK_OF[name]: text for name, text in error.errors.items()})
        return
    except WorkflowError as error:
        # Nothing was stored; the modal stays open and says why, on its first field.
        ack(response_action="errors", errors={ids.STANDUP_PROGRESS_BLOCK: error.message})
        return
    ack()
