"""`/ceremony list` and `/ceremony run`."""

from __future__ import annotations

from bot.blocks.ceremonies import list_view, title
from bot.listeners.commands.router import CommandRequest
from bot.reminders import SlackPoster
from bot.text import channel_mention
from storage.types import utcnow
from workflow import ceremonies, tick
from workflow.errors import InvalidInput


def list_ceremonies(request: CommandRequest) -> None:
    if request.args:
        raise InvalidInput("`/ceremony list` takes nothing after it.")
    with request.services.db.session() as session:
        payload = list_view(ceremonies.list_ceremonies(session, team_id=request.team_id))
    request.reply(payload["text"], payload["blocks"])


def run(request: CommandRequest) -> None:
    if len(request.args) != 1:
        raise InvalidInput("Say which ceremony: `/ceremony run standup` (see `/ceremony list`).")
    # Posting may wait out a rate limit: acknowledge first, answer through response_url.
    request.ack()
    poster = SlackPoster(request.client)
    try:
        reminder = tick.post_now(
            request.services.db,
            poster,
            team_id=request.team_id,
            actor_id=request.user_id,
            name=request.args[0],
            now=utcnow(),
        )
    except tick.PostFailed as error:
        hint = (
            "If the channel is private, invite me there with /invite @AI Team Bot."
            if error.permanent
            else "Try again in a moment."
        )
        raise InvalidInput(f"Slack refused the reminder ({error.error}). {hint}") from error
    ceremony = reminder.ceremony
    request.reply(f":white_check_mark: Posted *{title(ceremony)}* to {channel_mention(ceremony.channel_id)}.")
