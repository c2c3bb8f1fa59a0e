"""`/project show`, `list` and `history`: read-only, ephemeral."""

from __future__ import annotations

from bot.blocks.projects import detail_view, history_view, list_view
from bot.listeners.commands.router import CommandRequest
from storage.types import utcnow
from workflow import delivery, projects
from workflow.errors import InvalidInput


def show(request: CommandRequest) -> None:
    if len(request.args) != 1:
        raise InvalidInput("Say which project: `/project show <name>`.")
    with request.services.db.read() as session:
        project = projects.get(session, team_id=request.team_id, name=request.args[0])
        payload = detail_view(
            projects.detail(session, project, today=projects.today_utc(utcnow())),
            delivery.problems_of_project(session, project),
        )
    request.reply(payload["text"], payload["blocks"])


def list_projects(request: CommandRequest) -> None:
    if len(request.args) > 1:
        raise InvalidInput("`/project list` takes one filter: `mine` or `all`.")
    key = (request.rest or "all").lower()
    with request.services.db.read() as session:
        items = projects.list_projects(session, team_id=request.team_id, user_id=request.user_id, filter=key)
        payload = list_view(items, filter=key)
    request.reply(payload["text"], payload["blocks"])


def show_history(request: CommandRequest) -> None:
    if len(request.args) != 1:
        raise InvalidInput("Say which project: `/project history <name>`.")
    with request.services.db.read() as session:
        project, events = projects.history(session, team_id=request.team_id, name=request.args[0])
        payload = history_view(project, events)
    request.reply(payload["text"], payload["blocks"])
