"""Retro buttons: Add a note (on a retro's reminder) opens the note modal; Done marks an action
item done, for its owner only."""

from __future__ import annotations

from bot.blocks.retros import note_modal
from bot.listeners.actions.click import Click
from bot.listeners.actions.modals import open_modal
from bot.text import escape, user_mention
from storage.types import utcnow
from workflow import retros
from workflow.errors import WorkflowError

_STALE = ":warning: This button is from an older version of the bot; use the latest retro."


def add_note(click: Click) -> None:
    if not click.value.isdigit():
        click.tell(_STALE)
        return
    run_id = int(click.value)
    try:
        with click.services.db.read() as session:
            retros.run_for_notes(session, team_id=click.team_id, run_id=run_id)
    except WorkflowError as error:
        click.tell(f":warning: {escape(error.message)}")
        return
    view = note_modal(run_id=run_id)
    click.later(lambda: open_modal(click, view))


def action_done(click: Click) -> None:
    if not click.value.isdigit():
        click.tell(_STALE)
        return
    try:
        with click.services.db.session() as session:
            note = retros.mark_done(
                session, team_id=click.team_id, user_id=click.user_id, note_id=int(click.value), now=utcnow()
            )
            text = note.text
    except retros.NotTheOwner as error:
        owner = user_mention(error.owner_id) if error.owner_id else "its owner"
        click.tell(f":no_entry: Only {owner}, the action item's owner, can mark it done; nothing changed.")
        return
    except WorkflowError as error:
        click.tell(f":warning: {escape(error.message)}")
        return
    except Exception:
        click.logger.exception("marking action item %s done failed", click.value)
        click.tell(":x: Something went wrong on my side; nothing was changed. Please try again in a moment.")
        return
    click.tell(f":white_check_mark: Done: {escape(text[:200])}")
