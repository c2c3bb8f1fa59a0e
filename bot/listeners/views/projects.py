"""Submission of the `/project create` modal: field errors stay in the modal, under the field."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import ids
from bot.blocks.projects import created_confirmation
from bot.listeners.views.confirm import confirm_later
from bot.listeners.views.submission import Submission
from bot.services import services_of
from workflow import projects
from workflow import vocabulary as v
from workflow.errors import InvalidInput


def _check(errors: dict[str, str], block_id: str, check: Callable[[str], object], text: str) -> None:
    try:
        check(text)
    except InvalidInput as error:
        errors[block_id] = error.message


def submit_create(ack: Ack, body: dict[str, Any], client: WebClient, context: Any, logger: Logger) -> None:
    form = Submission.parse(body)
    name = form.text(ids.PROJECT_NAME_BLOCK) or ""
    workstream = form.selected(ids.WORKSTREAM_BLOCK)
    description = form.text(ids.PROJECT_DESCRIPTION_BLOCK) or None
    members = form.users(ids.PROJECT_MEMBERS_BLOCK)
    errors: dict[str, str] = {}
    _check(errors, ids.PROJECT_NAME_BLOCK, projects.validate_name, name)
    _check(errors, ids.PROJECT_DESCRIPTION_BLOCK, projects.refuse_pings, description or "")
    if errors:
        ack(response_action="errors", errors=errors)
        return
    services = services_of(context)
    team_id, user_id = form.team_id, form.user_id
    channel_id = ids.ProjectCreateMeta.decode(form.metadata).channel_id
    try:
        with services.db.session() as session:
            project = projects.create(
                session,
                team_id=team_id,
                owner_id=user_id,
                name=name,
                workstream=workstream or v.DEFAULT_WORKSTREAM,
                description=description,
                members=members,
                channel_id=channel_id,
            )
            created = project.name
    except InvalidInput as error:  # the name is taken: nothing was written
        ack(response_action="errors", errors={ids.PROJECT_NAME_BLOCK: error.message})
        return
    ack()
    if channel_id is None:
        return
    confirm_later(
        services, client, logger, channel_id=channel_id, user_id=user_id, text=created_confirmation(created)
    )
