"""The App Home tab."""

from __future__ import annotations

from typing import Any

from bot.blocks import Block, context, divider, header, section
from bot.blocks.experiments import card_link, status_label
from bot.text import escape, truncate, user_mention
from storage.models import Experiment

MAX_HOME_BLOCKS = 100


def _experiment_line(e: Experiment) -> Block:
    return section(
        f"*{card_link(e)}* · {status_label(e.status)} · {user_mention(e.owner_id)}\n"
        f"{truncate(escape(e.hypothesis), 200)}"
    )


def home_view(
    *, user_id: str, mine: list[Experiment], recent: list[Experiment], extra: list[Block] | None = None
) -> dict[str, Any]:
    blocks: list[Block] = [
        header("AI Team Bot"),
        section(
            f"Hi {user_mention(user_id)}. Propose an experiment with `/experiment propose <hypothesis>`; "
            "`/experiment help` lists everything else."
        ),
        *(extra or []),
        divider(),
        section("*Your open experiments*"),
    ]
    blocks += [_experiment_line(e) for e in mine] or [context("None open. Propose one!")]
    blocks += [divider(), section("*Latest in this workspace*")]
    blocks += [_experiment_line(e) for e in recent] or [context("No experiments yet.")]
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
