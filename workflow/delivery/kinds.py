"""The kinds of delivery, the one-off thread notices, and which kinds are paced per channel."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from storage.models import Delivery


class Kind(StrEnum):
    """What a delivery row asks for; each has one sender in `bot/delivery/senders.py`."""

    EXPERIMENT = "experiment"  # post or update the card and its thread replies
    NOTICE = "notice"  # a one-off reply in an experiment's thread (a reason, a resubmission)
    NUDGE = "nudge"  # ask the people an experiment waits on, in its thread
    REMINDER = "reminder"  # post a ceremony run's reminder
    HOME = "home"  # publish a person's App Home
    PROJECT = "project"  # post or update a project's card
    MILESTONE_OVERDUE = "milestone_overdue"  # the one reminder, in the project card's thread
    STANDUP_PROMPTS = "standup_prompts"  # find a standup run's participants and queue their DMs
    STANDUP_DM = "standup_dm"  # DM one participant the prompt (or the follow-up)
    STANDUP_ANSWER = "standup_answer"  # post or edit an answer's reply in the reminder's thread
    STANDUP_SUMMARY = "standup_summary"  # edit the reminder to add (or refresh) the summary
    RETRO_BOARD = "retro_board"  # post (or update) a retro's board of notes in its reminder's thread
    RETRO_CHART = "retro_chart"  # upload the flow chart (time per stage) into a retro reminder's thread


class Notice(StrEnum):
    """The one-off thread replies, named in a NOTICE row's args."""

    DECISION = "decision"  # changes requested or rejected, with the reason
    RESUBMITTED = "resubmitted"
    BLOCKED = "blocked"  # a standup blocker naming the experiment
    LEARNING_PROMPT = "learning_prompt"  # the experiment closed: Record a learning
    LEARNING = "learning"  # a learning was recorded (its id in `learning_id`)
    BIAS_CHECK = "bias_check"  # bias checks were recorded (its id in `check_id`)


# Kinds that post into a channel, so count against its pace.
PACED = frozenset(
    {
        Kind.EXPERIMENT,
        Kind.NOTICE,
        Kind.NUDGE,
        Kind.REMINDER,
        Kind.PROJECT,
        Kind.MILESTONE_OVERDUE,
        Kind.STANDUP_ANSWER,
        Kind.STANDUP_SUMMARY,
        Kind.RETRO_BOARD,
        Kind.RETRO_CHART,
    }
)


def args_of(row: Delivery) -> dict[str, Any]:
    return json.loads(row.args) if row.args else {}


def experiment_stream(experiment_id: int) -> str:
    return f"experiment:{experiment_id}"


def project_stream(project_id: int) -> str:
    return f"project:{project_id}"


def run_stream(run_id: int) -> str:
    return f"run:{run_id}"
