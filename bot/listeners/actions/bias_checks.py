"""The Record bias checks button under the ethics review: opens the modal, for ethics reviewers."""

from __future__ import annotations

from bot.blocks.bias_checks import bias_check_modal
from bot.listeners.actions.click import Click
from bot.listeners.actions.modals import open_modal
from bot.text import escape
from workflow import bias_checks, experiments
from workflow.errors import WorkflowError
from workflow.refs import Subject


def record_bias_check(click: Click) -> None:
    try:
        number = click.ref_of(Subject.EXPERIMENT).id
        with click.services.db.read() as session:
            experiment = experiments.get(session, team_id=click.team_id, number=number)
            bias_checks.check_recorder(session, experiment, click.user_id)
    except WorkflowError as error:
        click.tell(f":no_entry: {escape(error.message)}")
        return
    view = bias_check_modal(number=number)
    click.later(lambda: open_modal(click, view))
