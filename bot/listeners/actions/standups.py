"""The Share my update button (on a standup's reminder and in its DMs): open the answer modal."""

from __future__ import annotations

from bot.blocks.standups import answer_modal
from bot.listeners.actions.click import Click
from bot.listeners.actions.modals import open_modal
from bot.text import escape
from workflow import standups
from workflow.errors import WorkflowError


def share_update(click: Click) -> None:
    if not click.value.isdigit():
        click.tell(":warning: This button is from an older version of the bot; use the latest standup.")
        return
    run_id = int(click.value)
    try:
        with click.services.db.read() as session:
            _, ceremony = standups.run_to_answer(session, team_id=click.team_id, run_id=run_id)
            previous = standups.previous_answer(session, run_id=run_id, user_id=click.user_id)
            view = answer_modal(run_id=run_id, ceremony=ceremony, previous=previous)
    except WorkflowError as error:
        click.tell(f":warning: {escape(error.message)}")
        return
    click.later(lambda: open_modal(click, view))
