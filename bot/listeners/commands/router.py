"""Shared machinery for slash commands: parse `<subcommand> <rest>`, dispatch, answer errors.

A subcommand is a function taking a `CommandRequest`; it answers with `request.reply(...)`,
which acknowledges the command (ephemeral, within Slack's 3 s) or, once acknowledged,
follows up through `response_url`. A `WorkflowError` becomes an ephemeral warning.

Most subcommands only touch the database, and answer in the ack. One that must ask Slack
something first checks what it can, then hands the rest to `request.later(...)`: the command is
acknowledged at once and the rest runs on the answers pool, so a slow Slack never holds up the
threads that ack everyone else's requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.logs import log_context
from bot.metrics import COMMANDS
from bot.services import Services, services_of
from bot.text import escape, truncate
from workflow.errors import WorkflowError


@dataclass
class CommandRequest:
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    subcommand: str
    rest: str
    services: Services
    client: WebClient
    logger: Logger
    _ack: Ack
    _respond: Respond
    acked: bool = field(default=False)

    @property
    def args(self) -> list[str]:
        return self.rest.split()

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Answer the user privately: the ack if it is still unsent, else a follow-up."""
        if not self.acked:
            self.acked = True
            self._ack(text=text, blocks=blocks, response_type="ephemeral")
        else:
            self._respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    def ack(self) -> None:
        """Acknowledge with no message (e.g. before opening a modal)."""
        if not self.acked:
            self.acked = True
            self._ack()

    def later(self, work: Callable[[CommandRequest], None]) -> None:
        """Acknowledge now; run `work` (which calls Slack) after the ack, answering through
        `response_url`, with refusals and crashes answered as in the ack."""
        self.ack()
        self.services.answers.submit(run_guarded, self, work)


Subcommand = Callable[[CommandRequest], None]


def run_guarded(request: CommandRequest, handler: Subcommand) -> str:
    """Run a subcommand, turning a refusal or a crash into a private answer; always ack.
    Returns the outcome, for the metrics: ok, refused or error."""
    with log_context(team_id=request.team_id):
        try:
            handler(request)
        except WorkflowError as error:
            # Workflow messages are plain text and may quote what the user typed.
            request.reply(f":warning: {escape(error.message)}")
            return "refused"
        except Exception:
            request.logger.exception("%s failed", request.subcommand)
            request.reply(":x: Something went wrong on my side. Please try again in a moment.")
            return "error"
        finally:
            request.ack()
        return "ok"


def command_listener(subcommands: dict[str, Subcommand], usage: Callable[[], str]) -> Callable[..., None]:
    """Build the Bolt listener for one slash command from its subcommands and usage text."""

    def listener(
        ack: Ack, command: dict[str, Any], client: WebClient, context: Any, respond: Respond, logger: Logger
    ) -> None:
        text = (command.get("text") or "").strip()
        name, _, rest = text.partition(" ")
        request = CommandRequest(
            team_id=command["team_id"],
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            trigger_id=command.get("trigger_id", ""),
            subcommand=name.lower(),
            rest=rest.strip(),
            services=services_of(context),
            client=client,
            logger=logger,
            _ack=ack,
            _respond=respond,
        )
        handler = subcommands.get(request.subcommand)
        if handler is None:
            unknown = (
                f"Unknown subcommand `{truncate(escape(name), 40)}`.\n" if name and name != "help" else ""
            )
            request.reply(unknown + usage())
            # What was typed is the workspace's text: only a known name becomes a label.
            COMMANDS.labels(command["command"], "unknown" if unknown else "help", "usage").inc()
            return
        COMMANDS.labels(command["command"], request.subcommand, run_guarded(request, handler)).inc()

    return listener
