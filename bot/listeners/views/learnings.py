"""Submission of the learning modal: field errors inline, else the learning is stored and queued
for the experiment's thread."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.services import services_of
from storage.types import utcnow
from workflow import learnings
from workflow.errors import WorkflowError

BLOCK_OF = {
    learnings.TEXT: ids.LEARNING_TEXT_BLOCK,
    learnings.DIFFERENTLY: ids.LEARNING_DIFFERENTLY_BLOCK,
    learnings.TAGS: ids.LEARNING_TAGS_BLOCK,
}


def _value(values: dict[str, Any], block_id: str) -> str | None:
    return (values.get(block_id) or {}).get(ids.TEXT_INPUT, {}).get("value")


def submit_learning(ack: Ack, body: dict[str, Any], context: Any) -> None:
    view = body["view"]
    values = view["state"]["values"]
    number = int(json.loads(view.get("private_metadata") or "{}").get("number", 0))
    services = services_of(context)
    try:
        with services.db.session() as session:
            learnings.record(
                session,
                team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                number=number,
                text=_value(values, ids.LEARNING_TEXT_BLOCK),
                differently=_value(values, ids.LEARNING_DIFFERENTLY_BLOCK),
                tags=_value(values, ids.LEARNING_TAGS_BLOCK),
                now=utcnow(),
            )
    except learnings.LearningInvalid as error:
        ack(response_action="errors", errors={BLOCK_OF[name]: text for name, text in error.errors.items()})
        return
    except WorkflowError as error:
        # Nothing was stored (the experiment is gone); the modal stays open and says why.
        ack(response_action="errors", errors={ids.LEARNING_TEXT_BLOCK: error.message})
        return
    ack()
