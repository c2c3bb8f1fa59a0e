"""`/experiment propose`: inline with a hypothesis (optionally `project:<name>` first), or through
the modal without one."""

from __future__ import annotations

from bot.blocks.experiments import propose_modal, proposed_confirmation
from bot.listeners.commands.router import CommandRequest
from workflow import projects, proposals

PROJECT_PREFIX = "project:"


def propose(request: CommandRequest) -> None:
    if not request.rest:
        request.later(_open_modal)
        return
    first, _, rest = request.rest.partition(" ")
    project = None
    if first.lower().startswith(PROJECT_PREFIX):
        project = projects.validate_name(first[len(PROJECT_PREFIX) :])
    # The cards are posted after the ack, by the delivery worker.
    experiment = proposals.propose(
        request.services.db,
        team_id=request.team_id,
        owner_id=request.user_id,
        hypothesis=rest if project else request.rest,
        channel_id=request.channel_id,
        project=project,
    )
    request.reply(proposed_confirmation(experiment))


def _open_modal(request: CommandRequest) -> None:
    # The trigger lives 3 s from the command: the answers pool starts this at once; reading the
    # project names first is one short query.
    with request.services.db.read() as session:
        names = projects.active_names(session, team_id=request.team_id)
    request.client.views_open(
        trigger_id=request.trigger_id, view=propose_modal(channel_id=request.channel_id, projects=names)
    )
