"""Submission of the retro note modal: field errors inline, else the note is stored silently.

For an anonymous note the submitter's id is read from the payload only to be dropped: it is not
stored, audited, logged or sent anywhere.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import ids
from bot.listeners.views.submission import STALE_FORM, Submission
from bot.services import services_of
from storage.types import utcnow
from workflow import retros
from workflow.errors import WorkflowError

BLOCK_OF = {
    retros.KIND: ids.RETRO_KIND_BLOCK,
    retros.TEXT: ids.RETRO_TEXT_BLOCK,
    retros.OWNER: ids.RETRO_OWNER_BLOCK,
    retros.ANONYMOUS: ids.RETRO_ANONYMOUS_BLOCK,
}


def submit_note(ack: Ack, body: dict[str, Any], context: Any) -> None:
    form = Submission.parse(body)
    meta = ids.RetroNoteMeta.decode(form.metadata)
    if meta is None:
        ack(response_action="errors", errors={ids.RETRO_TEXT_BLOCK: STALE_FORM})
        return
    services = services_of(context)
    try:
        with services.db.session() as session:
            retros.add_note(
                session,
                team_id=form.team_id,
                user_id=form.user_id,
                run_id=meta.run_id,
                kind=form.selected(ids.RETRO_KIND_BLOCK),
                text=form.text(ids.RETRO_TEXT_BLOCK),
                owner_id=form.user(ids.RETRO_OWNER_BLOCK),
                anonymous=ids.RETRO_ANONYMOUS_VALUE in form.checked(ids.RETRO_ANONYMOUS_BLOCK),
                now=utcnow(),
            )
    except retros.NoteInvalid as error:
        ack(response_action="errors", errors={BLOCK_OF[name]: text for name, text in error.errors.items()})
        return
    except WorkflowError as error:
        ack(response_action="errors", errors={ids.RETRO_TEXT_BLOCK: error.message})
        return
    ack()
