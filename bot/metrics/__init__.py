"""What the bot counts for Prometheus (docs/monitoring.md).

Labels carry only names from fixed sets: slash commands and their subcommands, action ids,
delivery kinds, Slack method names and error codes, outcomes. Never workspace text (a
hypothesis, a name, a channel): a label's values must stay few, and metrics leave the workspace.

Under gunicorn the workers count into files in PROMETHEUS_MULTIPROC_DIR (set before this module
is imported: `bot.web.serve`) and `/metrics` adds them up (`bot.metrics.exposition`); every
other process counts in memory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from prometheus_client import Counter, Histogram

COMMANDS = Counter(
    "aiteam_commands",
    "Slash commands handled, by command, subcommand and outcome (ok, refused, error, usage).",
    ["command", "subcommand", "outcome"],
)
CLICKS = Counter(
    "aiteam_clicks",
    "Button and checkbox clicks handled, by action id and outcome (ok, refused, error).",
    ["action", "outcome"],
)
ACK_SECONDS = Histogram(
    "aiteam_ack_seconds",
    "From receiving a request from Slack to answering it (the ack), by kind of request.",
    ["request"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
)
DELIVERIES_QUEUED = Counter(
    "aiteam_deliveries_queued",
    "What changes asked to send Slack, by kind (a card update riding on a waiting one counts too).",
    ["kind"],
)
DELIVERIES_SENT = Counter(
    "aiteam_deliveries_sent", "Deliveries sent (or with nothing left to send), by kind.", ["kind"]
)
DELIVERIES_RETRIED = Counter(
    "aiteam_deliveries_retried",
    "Attempts that will be tried again (a 429 is error=ratelimited), by kind and error.",
    ["kind", "error"],
)
DELIVERIES_FAILED = Counter(
    "aiteam_deliveries_failed", "Deliveries that failed for good, by kind and error.", ["kind", "error"]
)
QUEUED_TO_SENT_SECONDS = Histogram(
    "aiteam_delivery_queued_to_sent_seconds",
    "From a delivery being queued to its being sent, by kind.",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600),
)
SLACK_CALLS = Counter(
    "aiteam_slack_api_calls",
    "Slack Web API calls, by method and status (ok, ratelimited, Slack's error code, or the exception).",
    ["method", "status"],
)
PASS_SECONDS = Histogram(
    "aiteam_scheduler_pass_seconds",
    "How long one scheduler pass took.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PASS_QUEUED = Counter(
    "aiteam_scheduler_queued",
    "What scheduler passes queued or decided, by the pass report's list: queued (reminders), skipped, "
    "failed, nudged, overdue (milestones), followed_up, asked, prompts_followed_up, closed, expired.",
    ["what"],
)

# An error code, an exception's name or a method name: anything else is reported as "other".
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,63}")


def name_label(text: str | None) -> str:
    """`text` as a label value if it is a plain name (a Slack error code, an exception's name),
    else "other"; of "missing_scope: chat:write" or "bot_error: …", the part before the colon."""
    head = (text or "").split(":", 1)[0].strip()
    return head if _NAME.fullmatch(head) else "other"


def queued(kinds: Sequence[str]) -> None:
    """A unit of work committed what it queued (storage's `Database.on_queued`)."""
    for kind in kinds:
        DELIVERIES_QUEUED.labels(kind).inc()


def delivered(kind: str, *, queued_at: datetime, at: datetime) -> None:
    DELIVERIES_SENT.labels(kind).inc()
    QUEUED_TO_SENT_SECONDS.labels(kind).observe(max((at - queued_at) / timedelta(seconds=1), 0.0))


def not_delivered(kind: str, *, error: str, permanent: bool) -> None:
    counter = DELIVERIES_FAILED if permanent else DELIVERIES_RETRIED
    counter.labels(kind, name_label(error)).inc()
