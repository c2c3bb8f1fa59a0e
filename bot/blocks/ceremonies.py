"""Ceremony reminders, nudges, and the ephemeral answers of `/ceremony`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.blocks import Block, Message, context, divider, header, message, section
from bot.blocks.experiments import card_link
from bot.blocks.insights import retro_line
from bot.blocks.learnings import since_review_block
from bot.blocks.projects import next_milestone_text, project_milestone_line
from bot.blocks.retros import carried_blocks, note_button
from bot.blocks.standups import share_button
from bot.text import channel_mention, escape, truncate, user_mention
from storage.models import Ceremony, Experiment
from workflow import ceremonies as c
from workflow import schedules
from workflow import vocabulary as v
from workflow.ceremonies import Listed, SetupResult
from workflow.nudges import Nudge
from workflow.projects import STANDUP_DAYS_AHEAD, MilestoneDue, ProjectStatus
from workflow.reminders import ESCALATED, ITEMS_PER_SECTION, NO_BIAS_CHECK, Reminder, Section
from workflow.standups import Blocked

# Leaves room for the header, intro and context blocks under Slack's 50.
MAX_LISTED = 40

TITLE = {
    c.STANDUP: "Daily standup",
    c.EXPERIMENT_REVIEW: "Experiment review",
    c.ETHICS_REVIEW: "AI ethics review",
    c.RETROSPECTIVE: "Retrospective",
}
ICON = {
    c.STANDUP: ":sunrise:",
    c.EXPERIMENT_REVIEW: ":microscope:",
    c.ETHICS_REVIEW: ":scales:",
    c.RETROSPECTIVE: ":arrows_counterclockwise:",
}
INVITATION = {
    c.STANDUP: "Press *Share my update* (here or in your DM): what moved since yesterday, what's "
    "blocking you, where you need help. Answers appear in this thread.",
    c.EXPERIMENT_REVIEW: "Go through what is waiting, decide what you can, and share what you learned.",
    c.ETHICS_REVIEW: "Look at the AI decisions below for bias, fairness and safety before they ship.",
    c.RETROSPECTIVE: "What went well, what to improve, what to do: press *Add a note* (anonymous if "
    "you like). Notes written before the retro stay hidden until it starts; the board is posted in "
    "this thread.",
    c.CUSTOM: "Reply in this thread with anything for the agenda.",
}
SECTION_TITLE = {
    ESCALATED: ":rotating_light: Escalated: still waiting after repeated reminders",
    v.Status.IN_REVIEW: "Waiting for review",
    v.Status.CHANGES_REQUESTED: "Changes requested, back with their owners",
    v.Status.REVIEWED: "Reviewed, ready for sign-off",
    v.Status.APPROVED: "Approved, awaiting production sign-off",
    f"ethics_{v.ReviewState.PENDING}": "Ethics review pending",
    f"ethics_{v.ReviewState.CHANGES_REQUESTED}": "Ethics changes requested",
    NO_BIAS_CHECK: ":mag: No bias check recorded yet",
    v.Status.PRODUCTION: ":rocket: Promoted to production",
    v.Status.REJECTED: ":no_entry: Rejected",
    v.Status.WITHDRAWN: ":wastebasket: Withdrawn",
}
EMPTY = {
    c.EXPERIMENT_REVIEW: "Nothing is waiting for review: a good week to share learnings.",
    c.ETHICS_REVIEW: "No experiment is waiting for an ethics review.",
    c.RETROSPECTIVE: "No experiment was promoted, rejected or withdrawn in this period.",
}


def title(ceremony: Ceremony) -> str:
    return TITLE.get(ceremony.kind, ceremony.name)


def _local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(schedules.zone(timezone))


def _experiment_line(e: Experiment, timezone: str) -> str:
    since = _local(e.status_changed_at, timezone)
    return f"• *{card_link(e)}* {truncate(escape(e.hypothesis), 120)} _(since {since:%a %d %b})_"


def _section_block(s: Section, timezone: str) -> Block:
    lines = [f"*{SECTION_TITLE.get(s.key, s.key)}* ({s.total})"]
    lines += [_experiment_line(e, timezone) for e in s.items]
    if s.hidden > 0:
        lines.append(f"…and {s.hidden} more: `/experiment list`")
    return section("\n".join(lines))


def blocked_block(blocked: Sequence[Blocked]) -> Block:
    """Experiment review: who said at a standup since the last review that an experiment blocks them."""
    lines = [f"*:construction: Blocked, from the standups* ({len(blocked)})"]
    lines += [
        f"• *{card_link(b.experiment)}* {user_mention(b.user_id)}: {truncate(escape(b.blockers), 200)}"
        for b in blocked[:ITEMS_PER_SECTION]
    ]
    if len(blocked) > ITEMS_PER_SECTION:
        lines.append(f"…and {len(blocked) - ITEMS_PER_SECTION} more in the standup threads")
    return section("\n".join(lines))


def _milestones_block(due: Sequence[MilestoneDue]) -> Block:
    """Standup: the milestones of this channel's projects that are overdue or due soon."""
    lines = [f"*Milestones overdue or due in the next {STANDUP_DAYS_AHEAD} days*"]
    lines += [f"• {project_milestone_line(d.milestone, d.project, d.today)}" for d in due]
    return section("\n".join(lines))


def _projects_block(lines: Sequence[ProjectStatus], total: int) -> Block:
    """Experiment review: per active project, its experiments by status and its next milestone."""
    text = [f"*Projects* ({total})"]
    for p in lines:
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in p.by_status) or "no experiments linked"
        text.append(
            f"• *{escape(p.project.name)}* · {counts} · {next_milestone_text(p.next_milestone, p.today)}"
        )
    if total > len(lines):
        text.append(f"…and {total - len(lines)} more: `/project list`")
    return section("\n".join(text))


def late_note(reminder: Reminder) -> str | None:
    if not reminder.late:
        return None
    due = _local(reminder.due_at, reminder.ceremony.timezone)
    return f"posted late: due {due:%H:%M} {due:%Z} ({due:%a %d %b})"


def reminder_message(reminder: Reminder, *, run_id: int | None = None) -> Message:
    """The message posted to the ceremony's channel when it is due; a standup's (given its run)
    carries the Share my update button."""
    ceremony = reminder.ceremony
    name = title(ceremony)
    minutes = f"{ceremony.duration_minutes} minutes"
    focus = f" · Focus: {reminder.focus}" if reminder.focus else ""
    icon = ICON.get(ceremony.kind, ":calendar:")
    invitation = INVITATION.get(ceremony.kind, INVITATION[c.CUSTOM])
    blocks: list[Block] = [
        header(name if ceremony.kind == c.CUSTOM else f"{name}: {minutes}"),
        section(f"{icon} *{escape(name)}* starts now · *{minutes}*{focus}\n{invitation}"),
    ]
    if ceremony.kind == c.RETROSPECTIVE and reminder.flow is not None and reminder.since is not None:
        since = _local(reminder.since, ceremony.timezone)
        blocks.append(section(f":bar_chart: *Since {since:%a %d %b}:* {retro_line(reminder.flow)}"))
    if ceremony.kind == c.RETROSPECTIVE:
        blocks += carried_blocks(reminder.actions)
    if ceremony.kind == c.RETROSPECTIVE and reminder.since is not None:
        since = _local(reminder.since, ceremony.timezone)
        blocks.append(section(f"*What moved since {since:%a %d %b}*"))
    shown = [s for s in reminder.sections if s.total]
    blocks += [_section_block(s, ceremony.timezone) for s in shown]
    if ceremony.kind in EMPTY and not shown:
        blocks.append(section(EMPTY[ceremony.kind]))
    if ceremony.kind == c.EXPERIMENT_REVIEW and reminder.blocked:
        blocks.append(blocked_block(reminder.blocked))
    if ceremony.kind == c.EXPERIMENT_REVIEW and reminder.learnings:
        blocks.append(since_review_block(reminder.learnings))
    if reminder.milestones:
        blocks.append(_milestones_block(reminder.milestones))
    if reminder.projects:
        blocks.append(_projects_block(reminder.projects, reminder.projects_total))
    if ceremony.kind == c.STANDUP and run_id is not None:
        blocks.append(share_button(run_id))
    if ceremony.kind == c.RETROSPECTIVE and run_id is not None:
        blocks.append(note_button(run_id))
    notes = [note for note in (late_note(reminder),) if note]
    notes.append(f"`{escape(ceremony.schedule)}` ({ceremony.timezone}) · `/ceremony list`")
    blocks.append(context(*notes))
    late = f" ({late_note(reminder)})" if reminder.late else ""
    fallback = f"{escape(name)}: {minutes}{focus}{late}"
    return message(fallback, blocks)


def role_label(role: str) -> str:
    for kind, reviewer_role in v.REVIEWER_ROLE.items():
        if role == reviewer_role:
            return f"{kind} review"
    return f"{role.replace('_', ' ')} sign-off"


def _waited(nudge: Nudge) -> str:
    hours = int((nudge.now - nudge.waiting_since).total_seconds() // 3600)
    return f"{hours // 24} days" if hours >= 48 else f"{hours} hours"


def nudge_message(nudge: Nudge) -> Message:
    """The reply in an experiment's thread asking the people who can act to act."""
    e = nudge.experiment
    what = "review" if e.status == v.Status.IN_REVIEW else "production sign-off"
    lines = [f":hourglass: *{card_link(e)}* has waited {_waited(nudge)} for {what}."]
    for ask in nudge.asks:
        if ask.people:
            people = ", ".join(user_mention(u) for u in ask.people)
            lines.append(f"{people}: the *{role_label(ask.role)}* is yours to give.")
        elif ask.away:
            lines.append(f"Whoever can give the *{role_label(ask.role)}* is away; it waits for their return.")
    unheld = nudge.unheld
    if unheld:
        roles = ", ".join(f"`{r}`" for r in unheld)
        grants = " and ".join(f"`/aiteam role add @someone {r}`" for r in unheld)
        if nudge.admins:
            admins = ", ".join(user_mention(u) for u in nudge.admins)
            lines.append(f"Nobody who may act holds {roles} yet. {admins}: please {grants}.")
        else:
            lines.append(
                f"Nobody who may act holds {roles} yet, and no admin is set: a workspace admin can {grants}."
            )
    if nudge.escalated:
        people = ", ".join(user_mention(u) for u in nudge.escalated)
        reminders = f"{e.nudge_count} reminder" + ("" if e.nudge_count == 1 else "s")
        lines.append(
            f":rotating_light: Still waiting after {reminders}: {people} "
            f"(`{nudge.escalated_to}`), please help it move."
        )
    text = "\n".join(lines)
    return message(text, [section(text)])


def _listed_block(item: Listed) -> Block:
    ceremony = item.ceremony
    kind = "custom" if ceremony.kind == c.CUSTOM else title(ceremony).lower()
    when = (
        ":double_vertical_bar: paused"
        if item.next_at is None
        else f"next: {item.next_at:%a %d %b %H:%M} {item.next_at:%Z}"
    )
    lines = [
        f"*{escape(ceremony.name)}* ({kind}) in {channel_mention(ceremony.channel_id)} · {when}",
        f"`{escape(ceremony.schedule)}` {ceremony.timezone} · {ceremony.duration_minutes} min",
    ]
    run = item.last_failure
    if run is not None:
        due = _local(run.due_at, ceremony.timezone)
        lines.append(
            f":warning: the reminder due {due:%a %d %b %H:%M} failed: {escape(run.error or 'unknown')}"
        )
    return section("\n".join(lines))


def list_view(listed: Sequence[Listed]) -> Message:
    if not listed:
        return message(
            "No ceremonies yet",
            [section("*Ceremonies*\nNone yet. `/ceremony setup #channel` installs the standard four.")],
        )
    blocks: list[Block] = [section(f"*Ceremonies* ({len(listed)})"), divider()]
    blocks += [_listed_block(item) for item in listed[:MAX_LISTED]]
    if len(listed) > MAX_LISTED:
        blocks.append(context(f"…and {len(listed) - MAX_LISTED} more."))
    return message(f"Ceremonies: {len(listed)}", blocks)


def _brief(ceremony: Ceremony) -> str:
    return (
        f"*{escape(ceremony.name)}* `{escape(ceremony.schedule)}` {ceremony.timezone}"
        f"{' (each participant in their own timezone)' if ceremony.local else ''}, "
        f"{ceremony.duration_minutes} min, in {channel_mention(ceremony.channel_id)}"
    )


def setup_confirmation(result: SetupResult) -> str:
    lines = []
    if result.added:
        lines.append(":white_check_mark: Set up:")
        lines += [f"• {_brief(x)}" for x in result.added]
    if result.existing:
        lines.append("Already there, left as they are (change them with `/ceremony edit`):")
        lines += [f"• {_brief(x)}" for x in result.existing]
    return "\n".join(lines)


def changed_confirmation(ceremony: Ceremony, verb: str) -> str:
    return f":white_check_mark: {verb} {_brief(ceremony)}."
