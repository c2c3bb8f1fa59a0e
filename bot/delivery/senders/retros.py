"""A retro's board, in its reminder's thread: posted once, then updated in place."""

from __future__ import annotations

from bot.blocks.retros import board_message
from bot.delivery.senders.posting import SendContext, post
from bot.delivery.senders.registry import sends
from storage.models import Delivery
from workflow import retros
from workflow.delivery import Kind


@sends(Kind.RETRO_BOARD)
def send_retro_board(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        found = retros.board(session, run_id=row.subject_id)
        payload = board_message(found) if found is not None else None
    if found is None or payload is None:
        return "the retro or its reminder is gone"
    channel = found.ceremony.channel_id
    if found.run.board_ts is not None:
        ctx.client.chat_update(channel=channel, ts=found.run.board_ts, **payload)
        return None
    ts = post(
        ctx,
        channel=channel,
        key=f"{row.team_id}:retro_board:{row.subject_id}",
        payload=payload,
        thread_ts=found.run.message_ts,
    )
    with ctx.db.session() as session:
        retros.board_posted(session, run_id=row.subject_id, ts=ts)
    return None
