"""The App Home tab."""

from __future__ import annotations

from typing import Any

from bot.blocks import Block, context, divider, header, section
from bot.blocks.calendar import away_line
from bot.blocks.deliveries import problem_block
from bot.blocks.experiments import card_link, status_label
from bot.text import escape, truncate, user_mention
from storage.models import Experiment
from workflow.home import Home
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


def home_view(home: Home) -> dict[str, Any]:
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
    blocks += [_experiment_line(e) for e in home.mine] or [context("None open. Propose one!")]
    blocks += [divider(), section("*Latest in this workspace*")]
    blocks += [_experiment_line(e) for e in home.recent] or [context("No experiments yet.")]
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
