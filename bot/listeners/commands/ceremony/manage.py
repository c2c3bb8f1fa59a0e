"""`/ceremony setup|add|edit|pause|resume|remove`: changes, each checked in full before it is stored.

A change that names a channel asks Slack whether the bot can see it; that part runs after the
ack (`request.later`), everything that can be checked without Slack is answered in the ack.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot import standup_people
from bot.blocks.ceremonies import changed_confirmation, setup_confirmation
from bot.listeners.commands.router import CommandRequest
from bot.text import parse_channel
from storage.types import utcnow
from workflow import ceremonies, schedules, standups
from workflow.errors import InvalidInput


def _channel_id(token: str) -> str:
    channel_id = parse_channel(token)
    if channel_id is None:
        raise InvalidInput(f"`{token[:40]}` is not a channel; mention one with #, e.g. #team.")
    return channel_id


def check_channel(request: CommandRequest, channel_id: str) -> str:
    """The channel id, once Slack confirms the channel exists and the bot can see it."""
    try:
        request.client.conversations_info(channel=channel_id)
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error")
        if code == "channel_not_found":
            raise InvalidInput(
                "I can't find that channel. If it is private, invite me there first with "
                "/invite @AI Team Bot, then try again."
            ) from error
        raise InvalidInput(f"Slack would not tell me about that channel ({code}); try again.") from error
    return channel_id


def _one_name(request: CommandRequest, verb: str) -> str:
    if len(request.args) != 1:
        raise InvalidInput(f"Say which ceremony: `/ceremony {verb} standup` (see `/ceremony list`).")
    return request.args[0]


def setup(request: CommandRequest) -> None:
    args = request.args
    if not 1 <= len(args) <= 2:
        raise InvalidInput("Say which channel: `/ceremony setup #team [timezone]`.")
    settings = request.services.settings
    timezone = schedules.parse_timezone(args[1]) if len(args) == 2 else settings.default_timezone
    channel_id = _channel_id(args[0])
    request.later(lambda r: _setup(r, channel_id=channel_id, timezone=timezone))


def _setup(request: CommandRequest, *, channel_id: str, timezone: str) -> None:
    check_channel(request, channel_id)
    with request.services.db.session() as session:
        result = ceremonies.setup(
            session,
            team_id=request.team_id,
            actor_id=request.user_id,
            channel_id=channel_id,
            timezone=timezone,
        )
        text = setup_confirmation(result)
    request.reply(text)


def add(request: CommandRequest) -> None:
    args = request.args
    if len(args) < 3:
        raise InvalidInput(
            "Usage: `/ceremony add <name> #channel <schedule> [timezone]`, e.g. "
            "`/ceremony add design-sync #design weekly tue 11:00 Europe/Berlin`."
        )
    name, channel, schedule = args[0], args[1], args[2:]
    # A typo should not cost a Web API call: check everything that needs no Slack first.
    ceremonies.validate_name(name)
    schedules.parse_schedule(schedule)
    channel_id = _channel_id(channel)
    request.later(lambda r: _add(r, name=name, channel_id=channel_id, schedule=schedule))


def _add(request: CommandRequest, *, name: str, channel_id: str, schedule: list[str]) -> None:
    check_channel(request, channel_id)
    with request.services.db.session() as session:
        ceremony = ceremonies.add(
            session,
            team_id=request.team_id,
            actor_id=request.user_id,
            name=name,
            channel_id=channel_id,
            schedule_tokens=schedule,
            default_timezone=request.services.settings.default_timezone,
        )
        text = changed_confirmation(ceremony, "Added")
    request.reply(text)


def edit(request: CommandRequest) -> None:
    args = request.args
    if len(args) < 3:
        raise InvalidInput(
            "Usage: `/ceremony edit <name> schedule <schedule> [timezone]`, `timezone <tz>`, "
            "`channel #channel`, `duration <minutes>`, or for a standup `close <minutes>` or `local on|off`."
        )
    name, field, values = args[0], args[1], args[2:]
    if field.lower() == "local":
        # Checked in the ack; `on` looks the participants' timezones up in Slack first.
        if ceremonies.parse_local(name, values):
            request.later(lambda r: _local_on(r, name=name, values=values))
        else:
            _edit(request, name=name, field=field, values=values, channel_id=None)
        return
    if field.lower() != "channel":
        _edit(request, name=name, field=field, values=values, channel_id=None)
        return
    if len(values) != 1:
        raise InvalidInput(f"Say one channel: `/ceremony edit {name[:40]} channel #team`.")
    channel_id = _channel_id(values[0])
    request.later(
        lambda r: _edit(r, name=name, field=field, values=values, channel_id=check_channel(r, channel_id))
    )


def _edit(
    request: CommandRequest, *, name: str, field: str, values: list[str], channel_id: str | None
) -> None:
    with request.services.db.session() as session:
        ceremony = ceremonies.edit(
            session,
            team_id=request.team_id,
            actor_id=request.user_id,
            name=name,
            field=field,
            values=values,
            channel_id=channel_id,
        )
        text = changed_confirmation(ceremony, "Changed")
    request.reply(text)


def _local_on(request: CommandRequest, *, name: str, values: list[str]) -> None:
    """`local on`: learn where each participant is (`users.info` `tz`) so the scheduler, which
    never calls Slack, knows their mornings; then store it. Timezones Slack would not give now
    are learned when the prompts are sent (meanwhile: the ceremony's own)."""
    db = request.services.db
    with db.read() as session:
        ceremony = standups.standup(session, team_id=request.team_id, name=name)
        channel_id, explicit = ceremony.channel_id, standups.participants(session, ceremony=ceremony)
    try:
        zones = standup_people.look_up(request.client, channel_id=channel_id, explicit=explicit)
    except SlackApiError as error:
        request.logger.warning("local on: looking the participants up failed: %s", error)
        zones = None
    with db.session() as session:
        ceremony = ceremonies.edit(
            session,
            team_id=request.team_id,
            actor_id=request.user_id,
            name=name,
            field="local",
            values=values,
        )
        if zones is not None:
            standups.record_members(session, ceremony=ceremony, zones=zones, now=utcnow())
        text = changed_confirmation(ceremony, "Changed")
    request.reply(text)


def _set_paused(request: CommandRequest, *, paused: bool) -> None:
    name = _one_name(request, "pause" if paused else "resume")
    with request.services.db.session() as session:
        ceremony = ceremonies.set_paused(
            session, team_id=request.team_id, actor_id=request.user_id, name=name, paused=paused
        )
        text = changed_confirmation(ceremony, "Paused" if paused else "Resumed")
    request.reply(text)


def pause(request: CommandRequest) -> None:
    _set_paused(request, paused=True)


def resume(request: CommandRequest) -> None:
    _set_paused(request, paused=False)


def remove(request: CommandRequest) -> None:
    name = _one_name(request, "remove")
    with request.services.db.session() as session:
        ceremony = ceremonies.remove(session, team_id=request.team_id, actor_id=request.user_id, name=name)
        text = changed_confirmation(ceremony, "Removed")
    request.reply(text)
