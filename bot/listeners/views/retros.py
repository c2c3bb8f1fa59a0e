"""Submission of the retro note modal: field errors inline, else the note is stored silently.

For an anonymous note the submitter's id is read from the payload only to be dropped: it is not
stored, audited, logged or sent anywhere.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from bot import ids
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


def _state(values: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(action_id) or {}


def submit_note(ack: Ack, body: dict[str, Any], context: Any) -> None:
    view = body["view"]
    values = view["state"]["values"]
    run_id = int(json.loads(view.get("private_metadata") or "{}").get("run", 0))
    kind = (_state(values, ids.RETRO_KIND_BLOCK, ids.RETRO_KIND_INPUT).get("selected_option") or {}).get(
        "value"
    )
    text = _state(values, ids.RETRO_TEXT_BLOCK, ids.RETRO_TEXT_INPUT).get("value")
    owner = _state(values, ids.RETRO_OWNER_BLOCK, ids.RETRO_OWNER_INPUT).get("selected_user")
    ticked = _state(values, ids.RETRO_ANONYMOUS_BLOCK, ids.RETRO_ANONYMOUS_INPUT).get("selected_options")
    anonymous = any(o.get("value") == ids.RETRO_ANONYMOUS_VALUE for o in ticked or [])
    services = services_of(context)
    try:
        with services.db.session() as session:
            retros.add_note(
                session,
                team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                run_id=run_id,
                kind=kind,
                text=text,
                owner_id=owner,
                anonymous=anonymous,
                now=utcnow(),
            )
    except retros.NoteInvalid as error:
        ack(response_action="errors", errors={BLOCK_OF[name]: text for name, text in error.errors.items()})
        return
    except WorkflowError as error:
        ack(response_action="errors", errors={ids.RETRO_TEXT_BLOCK: error.message})
        return
    ack()
