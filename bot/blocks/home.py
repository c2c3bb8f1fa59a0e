"""The App Home tab."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.blocks import Block, context, divider, header, section
from bot.blocks.calendar import away_line
from bot.blocks.deliveries import problem_block
from bot.blocks.experiments import card_link, status_label
from bot.blocks.insights import home_blocks
from bot.blocks.projects import next_milestone_text, project_milestone_line
from bot.text import escape, truncate, user_mention
from storage.models import Experiment
from workflow import vocabulary as v
from workflow.home import Home
from workflow.projects import HOME_DAYS_AHEAD, MyProject
from workflow.waiting import Waiting

MAX_HOME_BLOCKS = 100
MAX_PROJECTS = 10


def _experiment_line(e: Experiment, expires_after: timedelta | None) -> Block:
    expiry = ""
    if e.status == v.Status.APPROVED and expires_after is not None:
        expiry = f" · sign-off request expires {(e.status_changed_at + expires_after):%a %d %b}"
    return section(
        f"*{card_link(e)}* · {status_label(e.status)}{expiry} · {user_mention(e.owner_id)}\n"
        f"{truncate(escape(e.hypothesis), 200)}"
    )


def _waiting_line(w: Waiting) -> Block:
    e = w.experiment
    hypothesis = truncate(escape(e.hypothesis), 200)
    marks = "".join(
        [
            f" · :warning: asked again, the evidence changed ({escape(w.stale)})" if w.stale else "",
            " · :rotating_light: escalated" if w.escalated else "",
        ]
    )
    return section(f"*{card_link(e)}* · {escape(w.step)}{marks} · {user_mention(e.owner_id)}\n{hypothesis}")


def _project_line(p: MyProject, today: date) -> Block:
    project = p.project
    return section(
        f"*{escape(project.name)}* · {project.workstream} · {next_milestone_text(p.next_milestone, today)}"
    )


def owner_dms_line(on: bool) -> str:
    """The person's choice about DMs on their experiments, and how to change it."""
    if on:
        return ":bell: You get a DM when your experiments move or need you · `/aiteam notify off`"
    return ":no_bell: DMs about your experiments are off · `/aiteam notify on`"


def home_view(home: Home, *, today: date) -> dict[str, Any]:
    """The Home tab of `home.user_id`, with milestone dates counted from `today`."""
    user_id = home.user_id
    blocks: list[Block] = [
        header("AI Team Bot"),
        section(
            f"Hi {user_mention(user_id)}. Propose an experiment with `/experiment propose <hypothesis>`; "
            "`/experiment help` lists everything else."
        ),
    ]
    if home.away is not None:
        blocks.append(context(away_line(home.away)))
    blocks.append(divider())
    if home.problems:
        blocks += [section("*Not delivered*"), *[problem_block(p) for p in home.problems], divider()]
    blocks.append(section("*Waiting on you*"))
    blocks += [_waiting_line(w) for w in home.waiting] or [context("Nothing is waiting on you.")]
    blocks += [divider(), section("*Your open experiments*")]
    blocks += [_experiment_line(e, home.signoff_expires) for e in home.mine] or [
        context("None open. Propose one!")
    ]
    blocks.append(context(owner_dms_line(home.owner_dms)))
    blocks += [divider(), section("*Your projects*")]
    blocks += [_project_line(p, today) for p in home.projects[:MAX_PROJECTS]] or [
        context("None yet. `/project create <name>` starts one; `/project list` shows them all.")
    ]
    if len(home.projects) > MAX_PROJECTS:
        blocks.append(context(f"…and {len(home.projects) - MAX_PROJECTS} more: `/project list mine`"))
    blocks += [divider(), section(f"*Milestones due in the next {HOME_DAYS_AHEAD} days*")]
    lines = [f"• {project_milestone_line(d.milestone, d.project, d.today)}" for d in home.milestones]
    blocks.append(section("\n".join(lines)) if lines else context("None in your projects."))
    if home.flow is not None:
        blocks += [divider(), *home_blocks(home.flow)]
    blocks += [divider(), section("*Latest in this workspace*")]
    blocks += [_experiment_line(e, None) for e in home.recent] or [context("No experiments yet.")]
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
