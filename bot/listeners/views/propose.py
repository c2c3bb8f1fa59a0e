"""Submission of the propose modal."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import ids
from bot.blocks.experiments import proposed_confirmation
from bot.listeners.views.confirm import confirm_later
from bot.listeners.views.submission import Submission
from bot.services import services_of
from workflow import criteria as success_criteria
from workflow import experiments, proposals
from workflow.errors import InvalidInput, WorkflowError


def submit_propose(ack: Ack, body: dict[str, Any], client: WebClient, context: Any, logger: Logger) -> None:
    form = Submission.parse(body)
    hypothesis = form.text(ids.HYPOTHESIS_BLOCK) or ""
    try:
        experiments.validate_hypothesis(hypothesis)
    except InvalidInput as error:
        ack(response_action="errors", errors={ids.HYPOTHESIS_BLOCK: error.message})
        return
    criteria = form.text(ids.CRITERIA_BLOCK) or ""
    try:
        success_criteria.parse(criteria)
    except InvalidInput as error:
        ack(response_action="errors", errors={ids.CRITERIA_BLOCK: error.message})
        return
    project = form.selected(ids.PROJECT_BLOCK)
    services = services_of(context)
    team_id, user_id = form.team_id, form.user_id
    channel_id = ids.ProposeMeta.decode(form.metadata).channel_id
    try:
        experiment = proposals.propose(
            services.db,
            team_id=team_id,
            owner_id=user_id,
            hypothesis=hypothesis,
            workstream=form.selected(ids.WORKSTREAM_BLOCK) or None,
            channel_id=channel_id,
            project=project,
            criteria=criteria,
        )
    except WorkflowError as error:
        # The hypothesis was checked above; what is left is the project (archived meanwhile) or
        # the workstream. Nothing was written.
        block = ids.PROJECT_BLOCK if project else ids.WORKSTREAM_BLOCK
        ack(response_action="errors", errors={block: error.message})
        return
    ack()
    if channel_id is None:
        return
    confirm_later(
        services,
        client,
        logger,
        channel_id=channel_id,
        user_id=user_id,
        text=proposed_confirmation(experiment),
    )
