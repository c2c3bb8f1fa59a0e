"""One sender per delivery kind: render from the database as it is now, call Slack, record ts.

A sender holds no transaction while Slack answers: it reads, closes the unit of work, calls
Slack, then records what Slack returned in a new short one. It raises what the Web API raised
(classified by the worker), or returns a note when there was nothing (left) to send. Adding a
kind of delivery is one function in the module named for its subject, and one line here.
"""

from __future__ import annotations

from bot.delivery.senders.ceremonies import send_reminder
from bot.delivery.senders.charts import send_retro_chart
from bot.delivery.senders.experiments import send_experiment, send_notice, send_nudge
from bot.delivery.senders.home import send_home
from bot.delivery.senders.posting import NothingToSend, SendContext, Sender
from bot.delivery.senders.projects import send_milestone_overdue, send_project
from bot.delivery.senders.retros import send_retro_board
from bot.delivery.senders.standups import (
    send_standup_answer,
    send_standup_dm,
    send_standup_prompts,
    send_standup_summary,
)
from workflow.delivery import Kind

__all__ = ["SENDERS", "NothingToSend", "SendContext", "Sender"]

SENDERS: dict[Kind, Sender] = {
    Kind.EXPERIMENT: send_experiment,
    Kind.NOTICE: send_notice,
    Kind.NUDGE: send_nudge,
    Kind.REMINDER: send_reminder,
    Kind.HOME: send_home,
    Kind.PROJECT: send_project,
    Kind.MILESTONE_OVERDUE: send_milestone_overdue,
    Kind.STANDUP_PROMPTS: send_standup_prompts,
    Kind.STANDUP_DM: send_standup_dm,
    Kind.STANDUP_ANSWER: send_standup_answer,
    Kind.STANDUP_SUMMARY: send_standup_summary,
    Kind.RETRO_BOARD: send_retro_board,
    Kind.RETRO_CHART: send_retro_chart,
}
