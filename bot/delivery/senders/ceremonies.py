"""A ceremony run's reminder."""

from __future__ import annotations

from bot.blocks.ceremonies import reminder_message
from bot.delivery.senders.posting import SendContext, post
from bot.delivery.senders.registry import sends
from storage.models import Delivery
from workflow import (
    tick,
)
from workflow.delivery import Kind


@sends(Kind.REMINDER)
def send_reminder(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.session() as session:
        # A scheduled reminder has no actor; `/ceremony run` names who asked (it posts on holidays).
        reminder = tick.reminder_to_post(
            session,
            run_id=row.subject_id,
            now=ctx.now,
            config=ctx.config,
            on_request=row.actor_id is not None,
        )
    if reminder is None:
        return "not posted: the run was done, paused, removed, on a holiday or past its grace window"
    ts = post(
        ctx,
        channel=reminder.ceremony.channel_id,
        key=f"{row.team_id}:run:{row.subject_id}",
        payload=reminder_message(reminder, run_id=row.subject_id),
    )
    run_id = row.subject_id
    ctx.record(lambda session: tick.reminder_posted(session, run_id=run_id, ts=ts, now=ctx.now))
    return None
