"""One sender per delivery kind: render from the database as it is now, call Slack, record ts.

A sender holds no transaction while Slack answers: it reads, closes the unit of work, calls
Slack, then records what Slack returned in a new short one. It raises what the Web API raised
(classified by the worker), or returns a note when there was nothing (left) to send.

Each post carries the delivery's key in its message metadata, so a retry after an uncertain
outcome (a time-out, a process that died mid-call) can find a post that did happen before
posting again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Message
from bot.blocks.ceremonies import nudge_message, reminder_message
from bot.blocks.experiments import card
from bot.blocks.home import home_view
from bot.blocks.review import (
    decision_notice,
    deployment_message,
    resubmitted_notice,
    review_message,
    signoff_message,
)
from bot.blocks.standups import answer_reply, blocked_notice, dm_message, with_summary
from storage.db import Database
from storage.models import Delivery, Experiment
from workflow import calendar, delivery, experiments, home, nudges, promotion, reminders, standups, tick
from workflow.delivery import Kind, Notice
from workflow.experiments import ExperimentDetail, Slot
from workflow.permissions import Policy
from workflow.tick import TickConfig

METADATA_EVENT = "aiteam_post"


@dataclass(frozen=True)
class SendContext:
    client: WebClient
    db: Database
    config: TickConfig
    policy: Policy
    now: datetime
    # Look for an earlier post before posting: set on a retry after an uncertain outcome.
    check_posted: bool = False


class NothingToSend(Exception):
    """The intent no longer applies (the subject is gone); the row is done."""


Sender = Callable[[SendContext, Delivery], str | None]


def _post(ctx: SendContext, *, channel: str, key: str, payload: Message, thread_ts: str | None = None) -> str:
    """chat.postMessage, tagged with `key`; on a retry, first look for the post having happened."""
    if ctx.check_posted:
        found = _find_post(ctx, channel=channel, key=key, thread_ts=thread_ts)
        if found is not None:
            return found
    kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
    response = ctx.client.chat_postMessage(
        channel=channel,
        unfurl_links=False,
        metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
        **kwargs,
        **payload,
    )
    return str(response["ts"])


def _find_post(ctx: SendContext, *, channel: str, key: str, thread_ts: str | None) -> str | None:
    """The ts of a message the bot posted with `key`, among the channel's (or thread's) latest."""
    try:
        if thread_ts:
            response = ctx.client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
            )
        else:
            response = ctx.client.conversations_history(channel=channel, include_all_metadata=True, limit=200)
    except SlackApiError as error:
        if error.response.get("error") in ("missing_scope", "not_in_channel", "channel_not_found"):
            return None  # cannot look: post, accepting the rare duplicate
        raise
    for message in response.get("messages") or []:
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == METADATA_EVENT
            and (metadata.get("event_payload") or {}).get("key") == key
        ):
            return str(message["ts"])
    return None


# -- experiments: the card and its thread ---------------------------------------------------------


def _detail(ctx: SendContext, row: Delivery) -> ExperimentDetail:
    with ctx.db.read() as session:
        experiment = session.get(Experiment, row.subject_id)
        if experiment is None:
            raise NothingToSend("the experiment was deleted")
        return experiments.detail(session, experiment)


def _record(ctx: SendContext, experiment: Experiment, slot: Slot, ts: str) -> None:
    assert experiment.id is not None
    with ctx.db.session() as session:
        experiments.record_posted(session, experiment_id=experiment.id, slot=slot, ts=ts)
    setattr(experiment, slot.value, ts)


def _key(experiment: Experiment, slot: Slot) -> str:
    return f"{experiment.team_id}:{experiment.id}:{slot.value}"


def _ensure_card(ctx: SendContext, d: ExperimentDetail) -> str:
    """The card's ts, posting the card first if it is not in the channel yet."""
    e = d.experiment
    assert e.channel_id is not None
    if e.message_ts is None:
        ts = _post(ctx, channel=e.channel_id, key=_key(e, Slot.CARD), payload=card(d))
        _record(ctx, e, Slot.CARD, ts)
    assert e.message_ts is not None
    return e.message_ts


def _deployment(d: ExperimentDetail) -> Message:
    return deployment_message(promotion.deployment_plan(d))


REPLIES: dict[Slot, Callable[[ExperimentDetail], Message]] = {
    Slot.REVIEW: review_message,
    Slot.SIGNOFF: signoff_message,
    Slot.DEPLOYMENT: _deployment,
}


def send_experiment(ctx: SendContext, row: Delivery) -> str | None:
    """Post or update the card, then post or update each thread reply the experiment has reached."""
    d = _detail(ctx, row)
    e = d.experiment
    if e.channel_id is None:
        return "the experiment has no channel"
    posted_now = e.message_ts is None
    card_ts = _ensure_card(ctx, d)
    if not posted_now:
        ctx.client.chat_update(channel=e.channel_id, ts=card_ts, **card(d))
    due = d.replies_due()
    for slot, render in REPLIES.items():
        ts = getattr(e, slot.value)
        if ts is not None:
            ctx.client.chat_update(channel=e.channel_id, ts=ts, **render(d))
        elif slot in due:
            ts = _post(ctx, channel=e.channel_id, key=_key(e, slot), payload=render(d), thread_ts=card_ts)
            _record(ctx, e, slot, ts)
    return None


def send_notice(ctx: SendContext, row: Delivery) -> str | None:
    d = _detail(ctx, row)
    e = d.experiment
    if e.channel_id is None:
        return "the experiment has no channel"
    args = delivery.args_of(row)
    if args.get("notice") == Notice.RESUBMITTED:
        payload = resubmitted_notice(d)
    elif args.get("notice") == Notice.BLOCKED:
        payload = blocked_notice(e, user_id=args["actor_id"], blockers=args["blockers"])
    else:
        payload = decision_notice(d, actor_id=args["actor_id"], what=args["what"], reason=args["reason"])
    card_ts = _ensure_card(ctx, d)
    _post(ctx, channel=e.channel_id, key=f"{e.team_id}:notice:{row.id}", payload=payload, thread_ts=card_ts)
    return None


def send_nudge(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        nudge = nudges.build(
            session,
            experiment_id=row.subject_id,
            now=ctx.now,
            admin_user_ids=ctx.config.admin_user_ids,
            timezone=ctx.config.timezone,
        )
    if nudge is None:
        return "the experiment no longer waits on anyone"
    e = nudge.experiment
    if e.channel_id is None or e.message_ts is None:
        return "the experiment has no card to reply in"
    _post(
        ctx,
        channel=e.channel_id,
        key=f"{e.team_id}:nudge:{row.id}",
        payload=nudge_message(nudge),
        thread_ts=e.message_ts,
    )
    return None


# -- ceremonies ------------------------------------------------------------------------------------


def send_reminder(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.session() as session:
        reminder = tick.reminder_to_post(session, run_id=row.subject_id, now=ctx.now, config=ctx.config)
    if reminder is None:
        return "not posted: the run was done, paused, removed or past its grace window"
    ts = _post(
        ctx,
        channel=reminder.ceremony.channel_id,
        key=f"{row.team_id}:run:{row.subject_id}",
        payload=reminder_message(reminder, run_id=row.subject_id),
    )
    with ctx.db.session() as session:
        tick.reminder_posted(session, run_id=row.subject_id, ts=ts, now=ctx.now)
    return None


# -- standups -------------------------------------------------------------------------------------


def _channel_humans(ctx: SendContext, channel_id: str) -> list[str]:
    """The channel's members who are people: no bots, no deactivated accounts."""
    members: list[str] = []
    cursor = None
    while True:
        page = ctx.client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
        members += page.get("members") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    infos = [ctx.client.users_info(user=user_id)["user"] for user_id in dict.fromkeys(members)]
    return standups.humans(infos)


def send_standup_prompts(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        target = standups.prompt_target(session, run_id=row.subject_id)
    if target is None:
        return "the standup is closed or gone"
    people = target.explicit or _channel_humans(ctx, target.ceremony.channel_id)
    with ctx.db.session() as session:
        asked = standups.record_prompts(
            session, run_id=row.subject_id, user_ids=people, now=ctx.now, timezone=ctx.config.timezone
        )
    return f"asked {len(asked)} of {len(people)}"


def send_standup_dm(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    followup = bool(delivery.args_of(row).get("followup"))
    with ctx.db.read() as session:
        dm = standups.dm_to_send(session, prompt_id=row.subject_id, followup=followup)
        payload = dm_message(dm) if dm is not None else None
    if dm is None or payload is None:
        return "no longer needed: answered, closed or gone"
    channel = str(ctx.client.conversations_open(users=dm.prompt.user_id)["channel"]["id"])
    ts = _post(ctx, channel=channel, key=f"{row.team_id}:standup_dm:{row.id}", payload=payload)
    if not followup:
        with ctx.db.session() as session:
            standups.dm_posted(session, prompt_id=row.subject_id, channel=channel, ts=ts)
    return None


def send_standup_answer(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        reply = standups.reply_to_send(session, answer_id=row.subject_id)
        payload = answer_reply(reply) if reply is not None else None
    if reply is None or payload is None:
        return "the standup or its reminder is gone"
    channel, existing = reply.ceremony.channel_id, reply.answer.reply_ts
    if existing is not None:
        ctx.client.chat_update(channel=channel, ts=existing, **payload)
        return None
    ts = _post(
        ctx,
        channel=channel,
        key=f"{row.team_id}:standup_answer:{row.subject_id}",
        payload=payload,
        thread_ts=reply.run.message_ts,
    )
    with ctx.db.session() as session:
        standups.reply_posted(session, answer_id=row.subject_id, ts=ts)
    return None


def send_standup_summary(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        found = standups.summary(session, run_id=row.subject_id, now=ctx.now, timezone=ctx.config.timezone)
        if found is None or found.run.message_ts is None:
            return "the standup or its reminder is gone"
        run = found.run
        late = run.posted_at is not None and run.posted_at - run.due_at > tick.ON_TIME
        reminder = reminders.build(session, found.ceremony, due_at=run.due_at, late=late)
        payload = with_summary(reminder_message(reminder, run_id=row.subject_id), found)
    ctx.client.chat_update(channel=found.ceremony.channel_id, ts=run.message_ts, **payload)
    return None


# -- App Home --------------------------------------------------------------------------------------


def send_home(ctx: SendContext, row: Delivery) -> str | None:
    assert row.user_id is not None
    with ctx.db.read() as session:
        mine = home.home(
            session,
            team_id=row.team_id,
            user_id=row.user_id,
            policy=ctx.policy,
            today=calendar.today(ctx.config.timezone, ctx.now),
        )
        view = home_view(mine)
    ctx.client.views_publish(user_id=row.user_id, view=view)
    return None


SENDERS: dict[Kind, Sender] = {
    Kind.EXPERIMENT: send_experiment,
    Kind.NOTICE: send_notice,
    Kind.NUDGE: send_nudge,
    Kind.REMINDER: send_reminder,
    Kind.HOME: send_home,
    Kind.STANDUP_PROMPTS: send_standup_prompts,
    Kind.STANDUP_DM: send_standup_dm,
    Kind.STANDUP_ANSWER: send_standup_answer,
    Kind.STANDUP_SUMMARY: send_standup_summary,
}
