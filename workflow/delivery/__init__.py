"""What the bot owes Slack, as rows queued with the change that caused them, and how they are paid.

The workflow queues intents here in the same transaction as the change; workers (any process)
claim them, render from the database, send, and record the outcome through `record`. Nothing
here knows Slack: a send that failed is described by a `Failure`, classified by the caller.

- **Order.** Rows of one stream (an experiment's card and thread, a ceremony run, a person's
  App Home) go one at a time, in the order they were queued: the card is posted before the
  review reply that must hang under it, and nothing overtakes a post still waiting for Slack.
- **Coalescing.** An intent that renders current state ("bring the card up to date") is queued
  once while it waits; later changes ride on it, so only the newest render is ever sent.
- **Pace.** Posting into one channel is paced by a token bucket shared through the database
  (Slack allows about one message per second per channel, with short bursts); a 429 pauses that
  channel alone for its Retry-After.
- **Retries.** Transient failures (5xx, time-outs, lost connections) are retried with capped
  exponential backoff, for as long as it takes. Permanent ones are recorded, shown to the person
  whose change it was, and left for someone to retry or drop.

Where things are: `kinds` (each kind of row and its spec: stream, coalescing, pace, how it is
described), `args` (what a row carries, typed), `intents` (`queue`, and a named function per
thing a change commonly owes Slack), `queue` (claiming, pacing, recording outcomes), `problems` (the backlog
and what could never be delivered), `sent` (what was last sent into the messages kept up to
date). Callers use this package: `delivery.refresh_experiment(...)`.
"""

from storage.deliveries import State
from workflow.delivery.args import (
    Args,
    BiasChecked,
    Blocked,
    Decided,
    DmArgs,
    LearningPrompt,
    LearningRecorded,
    News,
    Notice,
    NoticeArgs,
    NudgeArgs,
    OwnerNews,
    RegistryNews,
    RegistryNotice,
    RequestExpired,
    Resubmitted,
    UnfurlArgs,
    WentStale,
)
from workflow.delivery.intents import (
    enqueue,
    milestone_overdue,
    notice,
    nudge,
    read_evidence,
    refresh_experiment,
    refresh_home,
    refresh_project,
    refresh_projects_of,
    refresh_projects_of_id,
    registry_alert,
    reminder,
    retro_board,
    retro_chart,
    set_registry_alias,
    standup_answer,
    standup_dm,
    standup_prompts,
    standup_summary,
    tell_owner,
    unfurl,
)
from workflow.delivery.kinds import (
    PACED,
    SPECS,
    Kind,
    Spec,
    Stream,
    args_of,
    kinds_of,
)
from workflow.delivery.problems import (
    Backlog,
    Problem,
    backlog,
    describe,
    problems_of_experiment,
    problems_of_person,
    problems_of_project,
)
from workflow.delivery.queue import (
    CLAIM_ROUNDS,
    FIRST_RETRY,
    MAX_RETRY_WAIT,
    Failure,
    Pace,
    Recorded,
    anything_due,
    backoff,
    claim,
    drop,
    listing,
    record,
    retry,
)
from workflow.delivery.sent import forget_sent, remember_sent, sent_digests

__all__ = [
    "CLAIM_ROUNDS",
    "FIRST_RETRY",
    "MAX_RETRY_WAIT",
    "PACED",
    "SPECS",
    "Args",
    "Backlog",
    "BiasChecked",
    "Blocked",
    "Decided",
    "DmArgs",
    "Failure",
    "Kind",
    "LearningPrompt",
    "LearningRecorded",
    "News",
    "Notice",
    "NoticeArgs",
    "NudgeArgs",
    "OwnerNews",
    "Pace",
    "Problem",
    "Recorded",
    "RegistryNews",
    "RegistryNotice",
    "RequestExpired",
    "Resubmitted",
    "Spec",
    "State",
    "Stream",
    "UnfurlArgs",
    "WentStale",
    "anything_due",
    "args_of",
    "backlog",
    "backoff",
    "claim",
    "describe",
    "drop",
    "enqueue",
    "forget_sent",
    "kinds_of",
    "listing",
    "milestone_overdue",
    "notice",
    "nudge",
    "problems_of_experiment",
    "problems_of_person",
    "problems_of_project",
    "read_evidence",
    "record",
    "refresh_experiment",
    "refresh_home",
    "refresh_project",
    "refresh_projects_of",
    "refresh_projects_of_id",
    "registry_alert",
    "remember_sent",
    "reminder",
    "retro_board",
    "retro_chart",
    "retry",
    "sent_digests",
    "set_registry_alias",
    "standup_answer",
    "standup_dm",
    "standup_prompts",
    "standup_summary",
    "tell_owner",
    "unfurl",
]
