"""A project's card, and the overdue-milestone reminder in its thread."""

from __future__ import annotations

from bot.blocks.projects import card as project_card
from bot.blocks.projects import overdue_message
from bot.delivery.senders.posting import NothingToSend, SendContext, keep, post, sent
from bot.delivery.senders.registry import sends
from storage.models import Delivery, Project
from workflow import (
    projects,
)
from workflow.delivery import Kind


def _project_detail(ctx: SendContext, project_id: int | None) -> projects.ProjectDetail:
    return _project_detail_and_sent(ctx, project_id, with_sent=False)[0]


def _project_detail_and_sent(
    ctx: SendContext, project_id: int | None, *, with_sent: bool = True
) -> tuple[projects.ProjectDetail, dict[str, str]]:
    """The project as it is now, and what was last sent into its card."""
    with ctx.db.read() as session:
        project = session.get(Project, project_id)
        if project is None:
            raise NothingToSend("the project was deleted")
        d = projects.detail(session, project, today=ctx.now.date())
        known: dict[str, str] = {}
        if with_sent and project.channel_id is not None:
            known = sent(
                session, team_id=project.team_id, channel=project.channel_id, ts=[project.message_ts]
            )
        return d, known


def _keep_project_card(ctx: SendContext, d: projects.ProjectDetail, known: dict[str, str]) -> str:
    """Post the project card, or bring it up to date if its render changed; its ts."""
    p = d.project
    assert p.channel_id is not None and p.id is not None
    project_id = p.id

    def posted(ts: str) -> None:
        ctx.record(lambda session: projects.record_posted(session, project_id=project_id, ts=ts))
        p.message_ts = ts

    return keep(
        ctx,
        team_id=p.team_id,
        channel=p.channel_id,
        key=f"{p.team_id}:project:{p.id}",
        payload=project_card(d),
        ts=p.message_ts,
        known=known,
        posted=posted,
    )


def _ensure_project_card(ctx: SendContext, d: projects.ProjectDetail) -> str:
    """The project card's ts, posting the card first if it is not in the channel yet."""
    if d.project.message_ts is not None:
        return d.project.message_ts
    return _keep_project_card(ctx, d, {})


@sends(Kind.PROJECT)
def send_project(ctx: SendContext, row: Delivery) -> str | None:
    """Post the project card once, then bring it up to date in place when its render changes."""
    d, known = _project_detail_and_sent(ctx, row.subject_id)
    if d.project.channel_id is None:
        return "the project has no channel"
    _keep_project_card(ctx, d, known)
    return None


@sends(Kind.MILESTONE_OVERDUE)
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
