"""The App Home tab."""

from __future__ import annotations

from typing import Any

from bot.blocks import Block, context, divider, header, section
from bot.blocks.experiments import card_link, status_label
from bot.text import escape, truncate, user_mention
from storage.models import Experiment
from workflow.waiting import Waiting

MAX_HOME_BLOCKS = 100


def _experiment_line(e: Experiment) -> Block:
    return section(
        f"*{card_link(e)}* · {status_label(e.status)} · {user_mention(e.owner_id)}\n"
        f"{truncate(escape(e.hypothesis), 200)}"
    )


def _waiting_line(w: Waiting) -> Block:
    e = w.experiment
    hypothesis = truncate(escape(e.hypothesis), 200)
    return section(f"*{card_link(e)}* · {escape(w.step)} · {user_mention(e.owner_id)}\n{hypothesis}")


def home_view(
    *, user_id: str, waiting: list[Waiting], mine: list[Experiment], recent: list[Experiment]
) -> dict[str, Any]:
    blocks: list[Block] = [
        header("AI Team Bot"),
        section(
            f"Hi {user_mention(user_id)}. Propose an experiment with `/experiment propose <hypothesis>`; "
            "`/experiment help` lists everything else."
        ),
        divider(),
        section("*Waiting on you*"),
    ]
    blocks += [_waiting_line(w) for w in waiting] or [context("Nothing is waiting on you.")]
    blocks += [divider(), section("*Your open experiments*")]
    blocks += [_experiment_line(e) for e in mine] or [context("None open. Propose one!")]
    blocks += [divider(), section("*Latest in this workspace*")]
    blocks += [_experiment_line(e) for e in recent] or [context("No experiments yet.")]
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
