"""`/experiment learn` records a learning without the modal; `/experiment learnings` searches them."""

from __future__ import annotations

from bot.blocks.learnings import search_results
from bot.listeners.commands.router import CommandRequest
from bot.text import escape, truncate
from storage.types import utcnow
from workflow import experiments, learnings
from workflow.errors import InvalidInput

USAGE = "/experiment learn EXP-1 <what we learned>"


def learn(request: CommandRequest) -> None:
    ref, _, text = request.rest.strip().partition(" ")
    if not ref:
        raise InvalidInput(f"Say which experiment and what we learned: `{USAGE}`.")
    number = experiments.parse_ref(ref)
    if not text.strip():
        raise InvalidInput(f"Write what we learned after the experiment id: `{USAGE}`.")
    with request.services.db.session() as session:
        learning, experiment = learnings.record(
            session, team_id=request.team_id, user_id=request.user_id, number=number, text=text, now=utcnow()
        )
        where = " It will be posted in its thread." if experiment.channel_id else ""
        first = learnings.first_line(learning.text)
    request.reply(
        f":bulb: Recorded a learning on {experiments.ref(number)}: {escape(truncate(first, 200))}{where}"
    )


def search(request: CommandRequest) -> None:
    with request.services.db.read() as session:
        payload = search_results(learnings.search(session, team_id=request.team_id, words=request.args))
    request.reply(payload["text"], payload["blocks"])
