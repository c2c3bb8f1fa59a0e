"""`/experiment list` and `/experiment show`: read-only, ephemeral."""

from __future__ import annotations

from bot.blocks.experiments import detail_view, list_view
from bot.blocks.review import history_view
from bot.listeners.commands.router import CommandRequest
from workflow import delivery, estimates, experiments, learnings, projects
from workflow.errors import InvalidInput
from workflow.history import history


def list_experiments(request: CommandRequest) -> None:
    if len(request.args) > 1:
        raise InvalidInput(f"`/experiment list` takes one filter: {', '.join(experiments.LIST_FILTERS)}.")
    with request.services.db.read() as session:
        page = experiments.list_experiments(
            session,
            team_id=request.team_id,
            user_id=request.user_id,
            filter=request.rest or "all",
        )
        payload = list_view(page)
    request.reply(payload["text"], payload["blocks"])


def show(request: CommandRequest) -> None:
    if len(request.args) != 1:
        raise InvalidInput("Say which experiment: `/experiment show EXP-1`.")
    number = experiments.parse_ref(request.args[0])
    with request.services.db.read() as session:
        experiment = experiments.get(session, team_id=request.team_id, number=number)
        project = projects.project_of(session, experiment)
        payload = detail_view(
            experiments.detail(session, experiment),
            delivery.problems_of_experiment(session, experiment),
            estimate_now=estimates.estimate(
                session,
                team_id=request.team_id,
                workstream=experiment.workstream,
                project_id=project.id if project else None,
            ),
            project=project.name if project else None,
            learned=learnings.of_experiment(session, experiment),
        )
    request.reply(payload["text"], payload["blocks"])


def show_history(request: CommandRequest) -> None:
    if len(request.args) != 1:
        raise InvalidInput("Say which experiment: `/experiment history EXP-1`.")
    number = experiments.parse_ref(request.args[0])
    with request.services.db.read() as session:
        experiment, events = history(session, team_id=request.team_id, number=number)
        payload = history_view(experiments.ref(experiment.number), events)
    request.reply(payload["text"], payload["blocks"])
