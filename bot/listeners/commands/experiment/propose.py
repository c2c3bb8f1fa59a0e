"""`/experiment propose`: inline with a hypothesis (optionally `project:<name>` first), or through
the modal without one."""

from __future__ import annotations

from bot.blocks.experiments import propose_modal, proposed_confirmation
from bot.listeners.commands.router import CommandRequest
from storage.models import Experiment
from workflow import experiments, projects

PROJECT_PREFIX = "project:"


def propose(request: CommandRequest) -> None:
    if not request.rest:
        request.later(_open_modal)
        return
    first, _, rest = request.rest.partition(" ")
    db = request.services.db
    experiment: Experiment
    if first.lower().startswith(PROJECT_PREFIX):
        name = projects.validate_name(first[len(PROJECT_PREFIX) :])
        # The checks and the project's history first, in a read; then one transaction: the
        # experiment, its audit record, its link and its queued cards, posted after the ack.
        with db.read() as reading:
            proposal = projects.prepare_into(
                reading,
                team_id=request.team_id,
                owner_id=request.user_id,
                name=name,
                hypothesis=rest,
                channel_id=request.channel_id,
            )
        with db.session() as session:
            experiment, _ = projects.create_into(session, proposal, name=name)
    else:
        # The checks and the estimate only read: done first, they keep the write short.
        with db.read() as reading:
            proposal = experiments.prepare(
                reading,
                team_id=request.team_id,
                owner_id=request.user_id,
                hypothesis=request.rest,
                channel_id=request.channel_id,
            )
        with db.session() as session:
            experiment = experiments.create(session, proposal)
    request.reply(proposed_confirmation(experiment))


def _open_modal(request: CommandRequest) -> None:
    # The trigger lives 3 s from the command: the answers pool starts this at once; reading the
    # project names first is one short query.
    with request.services.db.read() as session:
        names = projects.active_names(session, team_id=request.team_id)
    request.client.views_open(
        trigger_id=request.trigger_id, view=propose_modal(channel_id=request.channel_id, projects=names)
    )
