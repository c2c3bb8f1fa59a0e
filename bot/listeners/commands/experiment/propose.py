"""`/experiment propose`: inline with a hypothesis, or through the modal without one."""

from __future__ import annotations

from bot.blocks.experiments import propose_modal, proposed_confirmation
from bot.cards import publish
from bot.listeners.commands.router import CommandRequest
from workflow import experiments


def propose(request: CommandRequest) -> None:
    if not request.rest:
        request.ack()
        request.client.views_open(
            trigger_id=request.trigger_id, view=propose_modal(channel_id=request.channel_id)
        )
        return
    db = request.services.db
    with db.session() as session:
        experiment = experiments.propose(
            session,
            team_id=request.team_id,
            owner_id=request.user_id,
            hypothesis=request.rest,
            channel_id=request.channel_id,
        )
    request.reply(proposed_confirmation(experiment))
    for problem in publish(request.client, db, team_id=request.team_id, number=experiment.number):
        request.reply(f":warning: {problem}")
