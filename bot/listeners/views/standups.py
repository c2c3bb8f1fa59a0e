"""Submission of the standup answer modal: field errors inline, else the answer is stored."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.listeners.views.submission import STALE_FORM, Submission
from bot.services import services_of
from storage.types import utcnow
from workflow import standups
from workflow.errors import WorkflowError

BLOCK_OF = {
    standups.PROGRESS: ids.STANDUP_PROGRESS_BLOCK,
    standups.BLOCKERS: ids.STANDUP_BLOCKERS_BLOCK,
    standups.HELP: ids.STANDUP_HELP_BLOCK,
}


def submit_answer(ack: Ack, body: dict[str, Any], context: Any) -> None:
    form = Submission.parse(body)
    meta = ids.StandupMeta.decode(form.metadata)
    if meta is None:
        ack(response_action="errors", errors={ids.STANDUP_PROGRESS_BLOCK: STALE_FORM})
        return
    services = services_of(context)
    try:
        with services.db.session() as session:
            standups.answer(
                session,
                team_id=form.team_id,
                user_id=form.user_id,
                run_id=meta.run_id,
                progress=form.text(ids.STANDUP_PROGRESS_BLOCK),
                blockers=form.text(ids.STANDUP_BLOCKERS_BLOCK),
                help=form.text(ids.STANDUP_HELP_BLOCK),
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
