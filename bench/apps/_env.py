"""What the baseline apps read from the environment the benchmark sets."""

from __future__ import annotations

import os
import sys

from slack_bolt import App
from slack_sdk import WebClient

TOKEN = "xoxb-bench"


def bolt_app(*, process_before_response: bool = False) -> App:
    """A Bolt app with Bolt's defaults, talking to the fake Slack at BENCH_SLACK_API_URL.

    `process_before_response`: answer when the listener returns, in the request's thread, as the
    bot does (Bolt's default runs it on a pool and polls for the ack every 10 ms)."""
    return App(
        signing_secret=os.environ["BENCH_SIGNING_SECRET"],
        process_before_response=process_before_response,
        client=WebClient(token=TOKEN, base_url=os.environ["BENCH_SLACK_API_URL"]),
    )


def ready(name: str) -> None:
    """The line the benchmark waits for, once per gunicorn worker."""
    print(f"bench-app-ready {name} pid={os.getpid()}", file=sys.stderr, flush=True)
