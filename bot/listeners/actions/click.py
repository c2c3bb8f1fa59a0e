"""Shared machinery for buttons and checkboxes: parse the click, run the step, answer privately.

A refused click gets an ephemeral reason and changes nothing. A click that changed something
queued the card's update in the same transaction; the delivery worker shows it. The listener
itself never waits on Slack: private answers and modals go to the answers pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.services import Services, services_of
from bot.text import escape
from workflow import experiments
from workflow.errors import InvalidInput, WorkflowError
from workflow.outcome import Outcome


@dataclass
class Click:
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    value: str
    action: dict[str, Any]
    message: dict[str, Any]
    services: Services
    client: WebClient
    logger: Logger
    _respond: Respond

    @classmethod
    def parse(
        cls, body: dict[str, Any], context: Any, client: WebClient, respond: Respond, logger: Logger
    ) -> Click:
        action = body["actions"][0]
        return cls(
            team_id=(body.get("team") or {}).get("id") or body["user"]["team_id"],
            user_id=body["user"]["id"],
            channel_id=(body.get("channel") or {}).get("id", ""),
            trigger_id=body.get("trigger_id", ""),
            # A checkbox group has no value; its block id (`checklist:12`) ends with the experiment.
            value=action.get("value") or action.get("block_id", "").rpartition(":")[2],
            action=action,
            message=body.get("message") or {},
            services=services_of(context),
            client=client,
            logger=logger,
            _respond=respond,
        )

    @property
    def number(self) -> int:
        """The experiment a value like `12:technical` names."""
        number = self.value.partition(":")[0]
        if not number.isdigit():
            raise InvalidInput("This button is from an older version of the bot; use the latest message.")
        return int(number)

    @property
    def arg(self) -> str:
        """The review kind or role a value like `12:technical` names."""
        return self.value.partition(":")[2]

    def tell(self, text: str) -> None:
        """An ephemeral answer to the clicker only, in the message's conversation, after the ack."""
        self.later(lambda: self._respond(text=text, response_type="ephemeral", replace_original=False))

    def later(self, work: Callable[[], object]) -> None:
        """Run a Slack call after the ack, on the answers pool; a failure is logged, not raised."""

        def run() -> None:
            try:
                work()
            except Exception:
                self.logger.exception("after the click by %s: a Slack call failed", self.user_id)

        self.services.answers.submit(run)


def perform(
    click: Click,
    step: Callable[[Session], Outcome],
    *,
    redraw_on_refusal: bool = False,
) -> Outcome | None:
    """Run `step` in one transaction; answer a refusal or a no-op note privately."""
    number: int | None = None
    try:
        number = click.number
        with click.services.db.session() as session:
            outcome = step(session)
    except WorkflowError as error:
        click.tell(f":warning: {escape(error.message)}")
        if redraw_on_refusal and number is not None:
            # Slack already shows the checkbox toggled; redraw it as it really is.
            with click.services.db.session() as session:
                experiments.redraw(session, team_id=click.team_id, number=number)
        return None
    except Exception:
        click.logger.exception("click %s by %s failed", click.action.get("action_id"), click.user_id)
        click.tell(":x: Something went wrong on my side; nothing was changed. Please try again in a moment.")
        return None
    if outcome.note:
        click.tell(f":information_source: {escape(outcome.note)}")
    return outcome


def click_listener(handler: Callable[[Click], None]) -> Callable[..., None]:
    """The Bolt listener for one action: acknowledge at once (Slack waits 3 s), then handle."""

    def listener(
        ack: Ack, body: dict[str, Any], client: WebClient, context: Any, respond: Respond, logger: Logger
    ) -> None:
        ack()
        handler(Click.parse(body, context, client, respond, logger))

    return listener
