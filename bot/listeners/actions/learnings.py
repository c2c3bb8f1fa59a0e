"""The Record a learning button, in a closed experiment's thread: opens the learning modal."""

from __future__ import annotations

from bot.blocks.learnings import learning_modal
from bot.listeners.actions.click import Click
from bot.listeners.actions.modals import open_modal
from bot.text import escape
from workflow import experiments
from workflow.errors import WorkflowError
from workflow.refs import Subject


def record_learning(click: Click) -> None:
    try:
        number = click.ref_of(Subject.EXPERIMENT).id
        with click.services.db.read() as session:
            experiments.get(session, team_id=click.team_id, number=number)
    except WorkflowError as error:
        click.tell(f":warning: {escape(error.message)}")
        return
    view = learning_modal(number=number)
    click.later(lambda: open_modal(click, view))
