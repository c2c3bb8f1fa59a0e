"""Submission of the modal that asks why changes are requested or an experiment is rejected."""

from __future__ import annotations

import json
from logging import Logger
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.blocks.review import decision_notice
from bot.cards import post_notice, publish
from bot.services import services_of
from workflow import experiments, promotion, review
from workflow.errors import WorkflowError
from workflow.outcome import Outcome


def submit_reason(ack: Ack, body: dict[str, Any], client: WebClient, context: Any, logger: Logger) -> None:
    view = body["view"]
    meta = json.loads(view.get("private_metadata") or "{}")
    reason = view["state"]["values"][ids.REASON_BLOCK][ids.REASON_INPUT].get("value") or ""
    services = services_of(context)
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    number, kind, decision = int(meta["n"]), str(meta["kind"]), str(meta["decision"])
    try:
        with services.db.session() as session:
            outcome: Outcome
            if kind == "sign-off":
                outcome = promotion.reject_promotion(
                    session,
                    team_id=team_id,
                    number=number,
                    actor_id=user_id,
                    reason=reason,
                    policy=services.policy,
                )
            else:
                outcome = review.decide(
                    session,
                    team_id=team_id,
                    number=number,
                    kind=kind,
                    decision=decision,
                    actor_id=user_id,
                    policy=services.policy,
                    reason=reason,
                )
            detail = experiments.detail(session, outcome.experiment)
    except WorkflowError as error:
        # Shown under the reason field; the modal stays open and nothing was written.
        ack(response_action="errors", errors={ids.REASON_BLOCK: error.message})
        return
    ack()
    what = "sign-off" if kind == "sign-off" else f"{kind} review"
    problems = post_notice(
        client, detail, decision_notice(detail, actor_id=user_id, what=what, reason=reason.strip())
    )
    problems += publish(client, services.db, team_id=team_id, number=number)
    channel = meta.get("channel")
    if problems and channel:
        try:
            client.chat_postEphemeral(
                channel=channel,
                user=user_id,
                text=":warning: Your decision was recorded, but " + " ".join(problems),
            )
        except SlackApiError:
            logger.exception("could not tell %s that EXP-%s was not shown", user_id, number)
