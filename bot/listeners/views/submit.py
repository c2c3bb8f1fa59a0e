"""Submission of the submit modal: artifacts, and the evidence in MLflow to link with them.

What can be checked without MLflow is answered in the form (`response_action`); the links are
read after the ack, and the experiment is submitted with them in one transaction, or, if MLflow
refuses one, not at all, with the reason told privately in the channel."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import ids, mlflow_links
from bot.blocks.review import step_confirmation
from bot.listeners.views.confirm import confirm_later
from bot.listeners.views.submission import STALE_FORM, Submission
from bot.services import Services, services_of
from bot.text import escape
from workflow import experiments, links, review
from workflow.errors import InvalidInput, WorkflowError


def submit_submit(ack: Ack, body: dict[str, Any], client: WebClient, context: Any, logger: Logger) -> None:
    form = Submission.parse(body)
    meta = ids.SubmitMeta.decode(form.metadata)
    if meta is None:
        ack(response_action="errors", errors={ids.ARTIFACTS_BLOCK: STALE_FORM})
        return
    artifacts, evidence = form.text(ids.ARTIFACTS_BLOCK) or "", form.text(ids.EVIDENCE_BLOCK) or ""
    services = services_of(context)
    errors: dict[str, str] = {}
    asked: list[links.Asked] = []
    try:
        review.validate_artifacts(artifacts)
    except InvalidInput as error:
        errors[ids.ARTIFACTS_BLOCK] = error.message
    if evidence.strip():
        try:
            asked = links.parse_request(evidence.split())
            if services.mlflow is None:
                raise InvalidInput(mlflow_links.NOT_CONNECTED)
        except InvalidInput as error:
            errors[ids.EVIDENCE_BLOCK] = error.message
    if not errors:
        try:
            with services.db.read() as session:
                review.check_submit(session, team_id=form.team_id, number=meta.number, actor_id=form.user_id)
        except WorkflowError as error:
            errors[ids.ARTIFACTS_BLOCK] = error.message
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    services.answers.submit(_submit, services, client, logger, form, meta, artifacts, asked)


def _submit(
    services: Services,
    client: WebClient,
    logger: Logger,
    form: Submission,
    meta: ids.SubmitMeta,
    artifacts: str,
    asked: list[links.Asked],
) -> None:
    try:
        found = mlflow_links.read(services.mlflow, asked)
        with services.db.session() as session:
            if found:
                links.link(
                    session, team_id=form.team_id, number=meta.number, actor_id=form.user_id, found=found
                )
            outcome = review.submit(
                session, team_id=form.team_id, number=meta.number, actor_id=form.user_id, artifacts=artifacts
            )
            text = step_confirmation(experiments.detail(session, outcome.experiment), outcome)
    except WorkflowError as error:
        text = f":warning: {escape(error.message)} {experiments.ref(meta.number)} was not submitted."
    if meta.channel_id:
        confirm_later(services, client, logger, channel_id=meta.channel_id, user_id=form.user_id, text=text)
