"""Standups: finding the participants, DM prompts, answers in the thread, the summary."""

from __future__ import annotations

from bot import standup_people
from bot.blocks.ceremonies import reminder_message
from bot.blocks.standups import answer_reply, dm_message, with_summary
from bot.delivery.senders.posting import SendContext, post
from bot.delivery.senders.registry import sends
from storage.models import Delivery
from workflow import (
    delivery,
    reminders,
    standups,
    tick,
)
from workflow.delivery import DmArgs, Kind


@sends(Kind.STANDUP_PROMPTS)
def send_standup_prompts(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        target = standups.prompt_target(session, run_id=row.subject_id)
    if target is None:
        return "the standup is closed or gone"
    zones: dict[str, str | None] | None = None
    if target.explicit and target.run.local_day is None:
        people = target.explicit  # one time for all: no need to know where they are
    else:
        # Looked up now, and their timezones remembered for the passes that ask each in turn.
        zones = standup_people.look_up(
            ctx.client, channel_id=target.ceremony.channel_id, explicit=target.explicit
        )
        people = list(zones)
    with ctx.db.session() as session:
        asked = standups.record_prompts(
            session,
            run_id=row.subject_id,
            user_ids=people,
            now=ctx.now,
            timezone=ctx.config.timezone,
            zones=zones,
        )
    return f"asked {len(asked)} of {len(people)}"


@sends(Kind.STANDUP_DM)
def send_standup_dm(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    args = delivery.args_of(row)
    assert isinstance(args, DmArgs)
    followup = args.followup
    with ctx.db.read() as session:
        dm = standups.dm_to_send(session, prompt_id=row.subject_id, followup=followup)
        payload = dm_message(dm) if dm is not None else None
    if dm is None or payload is None:
        return "no longer needed: answered, closed or gone"
    channel = str(ctx.client.conversations_open(users=dm.prompt.user_id)["channel"]["id"])
    ts = post(ctx, channel=channel, key=f"{row.team_id}:standup_dm:{row.id}", payload=payload)
    if not followup:
        prompt_id = row.subject_id
        ctx.record(lambda session: standups.dm_posted(session, prompt_id=prompt_id, channel=channel, ts=ts))
    return None


@sends(Kind.STANDUP_ANSWER)
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
    ts = post(
        ctx,
        channel=channel,
        key=f"{row.team_id}:standup_answer:{row.subject_id}",
        payload=payload,
        thread_ts=reply.run.message_ts,
    )
    answer_id = row.subject_id
    ctx.record(lambda session: standups.reply_posted(session, answer_id=answer_id, ts=ts))
    return None


@sends(Kind.STANDUP_SUMMARY)
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
    assert run.message_ts is not None  # checked above, in the read
    ctx.client.chat_update(channel=found.ceremony.channel_id, ts=run.message_ts, **payload)
    return None
