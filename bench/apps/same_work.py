"""The least code doing the bot's propose work, as a naive Bolt app would (Bolt's defaults).

The listener (on Bolt's 5-thread listener pool, the request thread polling for the ack) inserts
the experiment with stdlib sqlite3, acks with the ephemeral confirmation, posts the card with
chat.postMessage and stores its ts. The database file (BENCH_DB_PATH) is created by
`bench.apps.schema.create` before the server starts.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from typing import Any

from slack_bolt import Ack
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bench.apps._env import bolt_app, ready
from bench.apps.card import card

DB_PATH = os.environ["BENCH_DB_PATH"]
bolt = bolt_app()


@bolt.command("/experiment")
def experiment(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    verb, _, hypothesis = command["text"].partition(" ")
    if verb != "propose" or not hypothesis:
        ack("Usage: /experiment propose <hypothesis>")
        return
    team, owner, channel = command["team_id"], command["user_id"], command["channel_id"]
    with closing(sqlite3.connect(DB_PATH, timeout=30)) as db, db:
        experiment_id, number = db.execute(
            "INSERT INTO experiment (team_id, number, hypothesis, owner_id, channel_id) "
            "VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM experiment WHERE team_id = ?), ?, ?, ?) "
            "RETURNING id, number",
            (team, team, hypothesis, owner, channel),
        ).fetchone()
    confirmation = f":white_check_mark: Proposed *EXP-{number}*. Its card is in this channel."
    ack(response_type="ephemeral", text=confirmation)
    posted = client.chat_postMessage(
        channel=channel, text=f"EXP-{number} (proposed): {hypothesis}", blocks=card(number, hypothesis, owner)
    )
    with closing(sqlite3.connect(DB_PATH, timeout=30)) as db, db:
        db.execute("UPDATE experiment SET card_ts = ? WHERE id = ?", (posted["ts"], experiment_id))


app = SlackRequestHandler(bolt)
ready("same-work")
