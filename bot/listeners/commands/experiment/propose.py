"""`/experiment propose`: inline with a hypothesis, or through the modal without one."""

from __future__ import annotations

from bot.blocks.experiments import propose_modal, proposed_confirmation
from bot.listeners.commands.router import CommandRequest
from workflow import experiments


def propose(request: CommandRequest) -> None:
    if not request.rest:
        request.later(_open_modal)
        return
    # One transaction: the experiment, its audit record and its queued card. The card is
    # posted after the ack by the delivery worker.
    with request.services.db.session() as session:
        experiment = experiments.propose(
            session,
            team_id=request.team_id,
            owner_id=request.user_id,
            hypothesis=request.rest,
            channel_id=request.channel_id,
        )
    request.reply(proposed_confirmation(experiment))


def _open_modal(request: CommandRequest) -> None:
    # The trigger lives 3 s from the command: the answers pool starts this at once.
    request.client.views_open(
        trigger_id=request.trigger_id, view=propose_modal(channel_id=request.channel_id)
    )
