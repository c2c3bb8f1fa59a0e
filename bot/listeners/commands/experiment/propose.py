"""`/experiment propose`: inline with a hypothesis (optionally `project:<name>` first), or through
the modal without one."""

from __future__ import annotations

from bot.blocks.experiments import propose_modal, proposed_confirmation
from bot.listeners.commands.router import CommandRequest
from workflow import projects, proposals

PROJECT_PREFIX = "project:"
# `criteria:accuracy>=0.9,latency_ms<=500`: one token, commas between.
CRITERIA_PREFIX = "criteria:"


def propose(request: CommandRequest) -> None:
    if not request.rest:
        request.later(_open_modal)
        return
    project, criteria, rest = None, "", request.rest
    # The options come first, in any order: `project:<name>`, `criteria:<…>`.
    while True:
        first, _, after = rest.partition(" ")
        if first.lower().startswith(PROJECT_PREFIX) and project is None:
            project = projects.validate_name(first[len(PROJECT_PREFIX) :])
        elif first.lower().startswith(CRITERIA_PREFIX) and not criteria:
            criteria = first[len(CRITERIA_PREFIX) :] or " "
        else:
            break
        rest = after.strip()
    # The cards are posted after the ack, by the delivery worker.
    experiment = proposals.propose(
        request.services.db,
        team_id=request.team_id,
        owner_id=request.user_id,
        hypothesis=rest,
        channel_id=request.channel_id,
        project=project,
        criteria=criteria,
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
