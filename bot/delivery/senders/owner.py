"""The DM telling an experiment's owner what happened to it."""

from __future__ import annotations

from bot.blocks.notifications import owner_news_message
from bot.delivery.senders.posting import SendContext, post
from bot.delivery.senders.registry import sends
from storage.models import Delivery
from workflow import calendar, notifications
from workflow.delivery import Kind


@sends(Kind.OWNER_DM)
def send_owner_dm(ctx: SendContext, row: Delivery) -> str | None:
    today = calendar.today(ctx.config.timezone, ctx.now)
    with ctx.db.read() as session:
        found = notifications.owner_dm_to_send(session, row, today=today)
        if isinstance(found, str):
            return f"not sent: {found}"
        d, news = found
        payload = owner_news_message(d, news)
    channel = str(ctx.client.conversations_open(users=d.experiment.owner_id)["channel"]["id"])
    post(ctx, channel=channel, key=f"{row.team_id}:owner_dm:{row.id}", payload=payload)
    return None
