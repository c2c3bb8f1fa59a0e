"""The project card, its detail and list views, its history, and the overdue milestone reminder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot import ids
from bot.blocks import Block, Message, context, fields, header, message, section
from bot.blocks.deliveries import problem_block
from bot.blocks.experiments import card_link, status_label, workstream_select
from bot.text import escape, truncate, user_mention
from storage.models import AuditEvent, Milestone, Project
from workflow import estimates
from workflow import vocabulary as v
from workflow.delivery import Problem
from workflow.projects import DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS, ProjectDetail
from workflow.refs import Ref

MAX_LISTED = 20


def due_label(m: Milestone, today: date) -> str:
    """`done`, `overdue by N days` (in red), `due today` or `due in N days`."""
    if m.done_at is not None:
        return ":white_check_mark: done"
    days = (m.due_on - today).days
    if days < 0:
        return f":red_circle: *overdue* by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return ":large_yellow_circle: due today"
    if days == 1:
        return "due tomorrow"
    return f"due in {days} day{'s' if days != 1 else ''}"


def milestone_line(m: Milestone, today: date) -> str:
    return f"*M{m.number}* {escape(m.title)} · {m.due_on.isoformat()} · {due_label(m, today)}"


def project_milestone_line(m: Milestone, project: Project, today: date) -> str:
    """`support-bot M2 "Pilot" · 2026-11-24 · due in 1 day`, for lists that span projects."""
    return (
        f"*{escape(project.name)}* M{m.number} {truncate(escape(m.title), 80)} · "
        f"{m.due_on.isoformat()} · {due_label(m, today)}"
    )


def next_milestone_text(m: Milestone | None, today: date) -> str:
    if m is None:
        return "no open milestone"
    return f'next milestone M{m.number} "{truncate(escape(m.title), 80)}" {when(m.due_on, today)}'


def when(due_on: date, today: date) -> str:
    days = (due_on - today).days
    if days > 1:
        return f"in {days} days"
    return {1: "tomorrow", 0: "today"}.get(days, f"overdue by {-days} day{'s' if days != -1 else ''}")


def progress(d: ProjectDetail) -> str:
    """`2 of 5 experiments in production · next milestone M2 "Pilot" in 6 days`."""
    text = f"{d.in_production} of {len(d.experiments)} experiments in production"
    nxt = d.next_milestone
    if nxt is not None:
        text += f' · next milestone M{nxt.number} "{escape(nxt.title)}" {when(nxt.due_on, d.today)}'
    return text


def projected_finish(d: ProjectDetail) -> str | None:
    """The latest target among open linked experiments, against the last milestone."""
    open_targets = [estimates.target(e) for e in d.experiments if e.status not in v.CLOSED_STATUSES]
    last = max((m.due_on for m in d.milestones), default=None)
    if not open_targets:
        return None
    finish = max(open_targets)
    text = f"Projected finish {finish.isoformat()}"
    if last is not None:
        gap = (finish - last).days
        if gap > 0:
            text += f", {gap} days after the last milestone ({last.isoformat()})"
        else:
            text += f", on time for the last milestone ({last.isoformat()})"
    return text


def card(d: ProjectDetail) -> Message:
    """The project card posted to the channel and updated in place after every change."""
    p = d.project
    ref = Ref.project(p.id or 0)
    state = "archived" if p.archived_at else p.workstream
    blocks: list[Block] = [
        header(f"Project {p.name} · {state}", block_id=ids.block_id(ids.PROJECT_HEADER_BLOCK, ref))
    ]
    if p.description:
        blocks.append(section(escape(p.description)))
    member_lines = [
        user_mention(m.user_id) + (f" ({', '.join(m.roles)})" if m.roles else "") for m in d.members
    ]
    blocks.append(
        fields(
            f"*Owner*\n{user_mention(p.owner_id)}",
            f"*Workstream*\n{p.workstream}",
            "*Members*\n" + ("\n".join(member_lines) or "(none)"),
        )
    )
    lines = [milestone_line(m, d.today) for m in d.milestones]
    blocks.append(
        section(
            "*Milestones*\n" + ("\n".join(lines) or "None yet: `/project milestone add`"),
            block_id=ids.block_id(ids.PROJECT_MILESTONES_BLOCK, ref),
        )
    )
    exp_lines = [
        f"{card_link(e)} {status_label(e.status)} · {truncate(escape(e.hypothesis), 80)}"
        for e in d.experiments
    ]
    blocks.append(section("*Experiments*\n" + ("\n".join(exp_lines) or "None linked: `/project link`")))
    blocks.append(section(progress(d)))
    finish = projected_finish(d)
    if finish:
        blocks.append(context(finish))
    blocks.append(context(f"`/project show {p.name}` · `/project history {p.name}`"))
    return message(f"Project {p.name}: {progress(d)}", blocks)


def detail_view(d: ProjectDetail, problems: Sequence[Problem] = ()) -> Message:
    """Everything about one project, for an ephemeral `/project show`, with anything the bot
    could not post about it."""
    payload = card(d)
    return message(payload["text"], [problem_block(p) for p in problems] + payload["blocks"])


def list_view(items: Sequence[Project], *, filter: str) -> Message:
    title = "Your projects" if filter == "mine" else "Projects"
    if not items:
        return message(
            f"{title}: none", [section(f"*{title}*\nNone yet. `/project create <name>` starts one.")]
        )
    lines = [
        f"*{escape(p.name)}* · {p.workstream} · owner {user_mention(p.owner_id)}" for p in items[:MAX_LISTED]
    ]
    if len(items) > MAX_LISTED:
        lines.append(f"…and {len(items) - MAX_LISTED} more")
    return message(f"{title}: {len(items)}", [section(f"*{title}*\n" + "\n".join(lines))])


def history_view(project: Project, events: Sequence[AuditEvent]) -> Message:
    lines = [
        f"{e.created_at:%Y-%m-%d %H:%M} UTC · {user_mention(e.actor_id)} · {e.action}"
        + (f": {escape(e.detail)}" if e.detail else "")
        for e in events[-200:]
    ]
    text = "\n".join(lines) or "Nothing yet."
    chunks = [text[i : i + 2900] for i in range(0, len(text), 2900)][:40]
    return message(
        f"History of project {project.name}",
        [section(f"*History of project {escape(project.name)}*")] + [section(c) for c in chunks],
    )


def overdue_message(milestone: Milestone, d: ProjectDetail) -> Message:
    """The one reminder in the project card's thread when a milestone passed its date undone."""
    people = " ".join(user_mention(m.user_id) for m in d.members)
    text = (
        f":alarm_clock: *M{milestone.number} {escape(milestone.title)}* of project {escape(d.project.name)} "
        f"was due {milestone.due_on.isoformat()} and is not done. {people}\n"
        f"Mark it done with `/project milestone done {d.project.name} M{milestone.number}` or move it with "
        f"`/project milestone move {d.project.name} M{milestone.number} YYYY-MM-DD`."
    )
    return message(f"M{milestone.number} of {d.project.name} is overdue", [section(text)])


def create_modal(*, channel_id: str) -> dict[str, Any]:
    """The modal `/project create` opens when no name was typed."""
    return {
        "type": "modal",
        "callback_id": ids.PROJECT_CREATE_MODAL,
        "private_metadata": ids.ProjectCreateMeta(channel_id).encode(),
        "title": {"type": "plain_text", "text": "Create a project"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": ids.PROJECT_NAME_BLOCK,
                "label": {"type": "plain_text", "text": "Name"},
                "hint": {
                    "type": "plain_text",
                    "text": f"Letters, digits and -, up to {NAME_MAX_CHARS} characters; unique here.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.TEXT_INPUT,
                    "placeholder": {"type": "plain_text", "text": "support-bot"},
                },
            },
            workstream_select(),
            {
                "type": "input",
                "block_id": ids.PROJECT_DESCRIPTION_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Description"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.TEXT_INPUT,
                    "multiline": True,
                    "max_length": DESCRIPTION_MAX_CHARS,
                },
            },
            {
                "type": "input",
                "block_id": ids.PROJECT_MEMBERS_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Members"},
                "hint": {"type": "plain_text", "text": "You become the owner and first member."},
                "element": {"type": "multi_users_select", "action_id": ids.USERS_INPUT},
            },
        ],
    }


def created_confirmation(name: str) -> str:
    return (
        f":white_check_mark: Project *{escape(name)}* created; its card is being posted here. "
        f"Next: `/project member add {name} @user`, `/project milestone add {name} YYYY-MM-DD <title>`."
    )
