"""A project's card, and the overdue-milestone reminder in its thread."""

from __future__ import annotations

from bot.blocks.projects import card as project_card
from bot.blocks.projects import overdue_message
from bot.delivery.senders.posting import NothingToSend, SendContext, post
from storage.models import Delivery, Project
from workflow import (
    projects,
)


def _project_detail(ctx: SendContext, project_id: int | None) -> projects.ProjectDetail:
    with ctx.db.read() as session:
        project = session.get(Project, project_id)
        if project is None:
            raise NothingToSend("the project was deleted")
        return projects.detail(session, project, today=ctx.now.date())


def _ensure_project_card(ctx: SendContext, d: projects.ProjectDetail) -> str:
    """The project card's ts, posting the card first if it is not in the channel yet."""
    p = d.project
    assert p.channel_id is not None and p.id is not None
    if p.message_ts is None:
        ts = post(ctx, channel=p.channel_id, key=f"{p.team_id}:project:{p.id}", payload=project_card(d))
        project_id = p.id
        ctx.record(lambda session: projects.record_posted(session, project_id=project_id, ts=ts))
        p.message_ts = ts
    return p.message_ts


def send_project(ctx: SendContext, row: Delivery) -> str | None:
    """Post the project card once, then bring it up to date in place."""
    d = _project_detail(ctx, row.subject_id)
    p = d.project
    if p.channel_id is None:
        return "the project has no channel"
    posted_now = p.message_ts is None
    ts = _ensure_project_card(ctx, d)
    if not posted_now:
        ctx.client.chat_update(channel=p.channel_id, ts=ts, **project_card(d))
    return None


def send_milestone_overdue(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        found = projects.overdue_to_post(session, milestone_id=row.subject_id, today=ctx.now.date())
    if found is None:
        return "not posted: the milestone was done, moved or its project archived"
    milestone, d = found
    if d.project.channel_id is None:
        return "the project has no card to reply in"
    card_ts = _ensure_project_card(ctx, d)
    post(
        ctx,
        channel=d.project.channel_id,
        key=f"{row.team_id}:overdue:{row.id}",
        payload=overdue_message(milestone, d),
        thread_ts=card_ts,
    )
    return None
