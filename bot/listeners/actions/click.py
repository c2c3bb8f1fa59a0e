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

from bot import ids
from bot.logs import log_context
from bot.metrics import CLICKS
from bot.services import Services, services_of
from bot.text import escape
from workflow.errors import InvalidInput, WorkflowError
from workflow.outcome import Outcome
from workflow.refs import Ref, Subject
from workflow.subjects import redraw

STALE_BUTTON = "This button is from an older version of the bot; use the latest message."


def _value_of_block(block_id: str) -> str:
    parsed = ids.parse_block_id(block_id)
    return ids.button_value(parsed[1]) if parsed else ""


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
    # How the click went, for the metrics: ok, refused or error (`perform` sets it).
    outcome: str = "ok"

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
            # A checkbox group has no value; its block id (`checklist:12`) names what it is about.
            value=action.get("value") or _value_of_block(action.get("block_id", "")),
            action=action,
            message=body.get("message") or {},
            services=services_of(context),
            client=client,
            logger=logger,
            _respond=respond,
        )

    @property
    def ref(self) -> Ref:
        """What the clicked element is about: `12:technical` names EXP-12, `project:3:M2` project 3."""
        parsed = ids.parse_button_value(self.value)
        if parsed is None:
            raise InvalidInput(STALE_BUTTON)
        return parsed[0]

    def ref_of(self, kind: Subject) -> Ref:
        """What the clicked element is about, which must be a `kind` (a refusal otherwise)."""
        ref = self.ref
        if ref.kind is not kind:
            raise InvalidInput(STALE_BUTTON)
        return ref

    @property
    def arg(self) -> str:
        """The review kind, role or milestone a value like `12:technical` names."""
        parsed = ids.parse_button_value(self.value)
        return parsed[1] if parsed else ""

    def tell(self, text: str) -> None:
        """An ephemeral answer to the clicker only, in the message's conversation, after the ack."""
        self.later(lambda: self._respond(text=text, response_type="ephemeral", replace_original=False))

    def later(self, work: Callable[[], object]) -> None:
        """Run a Slack call after the ack, on the answers pool; a failure is logged, not raised."""

        def run() -> None:
            try:
                with log_context(team_id=self.team_id):
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
    ref: Ref | None = None
    try:
        ref = click.ref
        with click.services.db.session() as session:
            outcome = step(session)
    except WorkflowError as error:
        click.outcome = "refused"
        click.tell(f":warning: {escape(error.message)}")
        if redraw_on_refusal and ref is not None:
            # Slack already shows the checkbox toggled; redraw it as it really is.
            with click.services.db.session() as session:
                redraw(session, team_id=click.team_id, ref=ref)
        return None
    except Exception:
        click.outcome = "error"
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
        click = Click.parse(body, context, client, respond, logger)
        with log_context(team_id=click.team_id):
            try:
                handler(click)
            except Exception:
                click.outcome = "error"
                raise
            finally:
                # The action id is one this listener was registered for: a name of the bot's own.
                CLICKS.labels(click.action.get("action_id", ""), click.outcome).inc()

    return listener
