"""A person's App Home."""

from __future__ import annotations

from bot.blocks.home import home_view
from bot.delivery.senders.posting import SendContext
from bot.delivery.senders.registry import sends
from storage.models import Delivery
from workflow import (
    calendar,
    home,
)
from workflow.delivery import Kind


@sends(Kind.HOME)
def send_home(ctx: SendContext, row: Delivery) -> str | None:
    assert row.user_id is not None
    today = calendar.today(ctx.config.timezone, ctx.now)
    with ctx.db.read() as session:
        mine = home.home(
            session,
            team_id=row.team_id,
            user_id=row.user_id,
            policy=ctx.policy,
            today=today,
            now=ctx.now,
            signoff_expires=ctx.config.approval_expires,
        )
        view = home_view(mine, today=today)
    ctx.client.views_publish(user_id=row.user_id, view=view)
    return None
