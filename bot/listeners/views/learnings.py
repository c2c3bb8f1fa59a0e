"""Submission of the learning modal: field errors inline, else the learning is stored and queued
for the experiment's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.listeners.views.submission import STALE_FORM, Submission
from bot.services import services_of
from storage.types import utcnow
from workflow import learnings
from workflow.errors import WorkflowError

BLOCK_OF = {
    learnings.TEXT: ids.LEARNING_TEXT_BLOCK,
    learnings.DIFFERENTLY: ids.LEARNING_DIFFERENTLY_BLOCK,
    learnings.TAGS: ids.LEARNING_TAGS_BLOCK,
}


def submit_learning(ack: Ack, body: dict[str, Any], context: Any) -> None:
    form = Submission.parse(body)
    meta = ids.LearningMeta.decode(form.metadata)
    if meta is None:
        ack(response_action="errors", errors={ids.LEARNING_TEXT_BLOCK: STALE_FORM})
        return
    services = services_of(context)
    try:
        with services.db.session() as session:
            learnings.record(
                session,
                team_id=form.team_id,
                user_id=form.user_id,
                number=meta.number,
                text=form.text(ids.LEARNING_TEXT_BLOCK),
                differently=form.text(ids.LEARNING_DIFFERENTLY_BLOCK),
                tags=form.text(ids.LEARNING_TAGS_BLOCK),
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
