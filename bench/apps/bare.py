"""The floor: a Bolt app (Bolt's defaults) whose `/experiment` listener only acks."""

from __future__ import annotations

from slack_bolt import Ack
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bench.apps._env import bolt_app, ready

bolt = bolt_app()


@bolt.command("/experiment")
def experiment(ack: Ack) -> None:
    ack()


app = SlackRequestHandler(bolt)
ready("bare")
