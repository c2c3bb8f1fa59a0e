"""Standups that collect answers: participants, DM prompts, answers, follow-ups and the summary.

At the standup's time the reminder is posted as before, with a **Share my update** button; each
participant is then asked in a DM, their answers are replied in the reminder's thread, those who
have not answered are followed up, and the summary is posted at the close.

Where things are: `people` (who is asked), `local` (each member's own morning, `local on`),
`prompts` (the DMs asked once the reminder is posted), `answers`, `summaries` (at the close, and
the blockers the experiment review hears about), `passes` (the scheduler's follow-ups, closes and
`local` asks). Callers use this package: `standups.answer(...)`.
"""

from workflow.standups.answers import (
    BLOCKERS,
    HELP,
    PROGRESS,
    TEXT_MAX_CHARS,
    AnswerInvalid,
    Reply,
    answer,
    previous_answer,
    referenced,
    reply_posted,
    reply_to_send,
    run_to_answer,
    validate_answer,
)
from workflow.standups.local import (
    LocalDue,
    is_local,
    local_due,
    local_run_exists,
    local_zones,
    person_time,
    record_members,
)
from workflow.standups.passes import (
    ask_local_prompt,
    close_run,
    due_closes,
    due_followups,
    due_local_asks,
    due_local_followups,
    follow_up_local_prompt,
    follow_up_run,
)
from workflow.standups.people import humans, participants, set_participants, standup
from workflow.standups.prompts import (
    Dm,
    PromptTarget,
    dm_posted,
    dm_to_send,
    on_reminder_posted,
    prompt_target,
    record_prompts,
)
from workflow.standups.summaries import Blocked, Summary, blocked_between, summary

__all__ = [
    "BLOCKERS",
    "HELP",
    "PROGRESS",
    "TEXT_MAX_CHARS",
    "AnswerInvalid",
    "Blocked",
    "Dm",
    "LocalDue",
    "PromptTarget",
    "Reply",
    "Summary",
    "answer",
    "ask_local_prompt",
    "blocked_between",
    "close_run",
    "dm_posted",
    "dm_to_send",
    "due_closes",
    "due_followups",
    "due_local_asks",
    "due_local_followups",
    "follow_up_local_prompt",
    "follow_up_run",
    "humans",
    "is_local",
    "local_due",
    "local_run_exists",
    "local_zones",
    "on_reminder_posted",
    "participants",
    "person_time",
    "previous_answer",
    "prompt_target",
    "record_members",
    "record_prompts",
    "referenced",
    "reply_posted",
    "reply_to_send",
    "run_to_answer",
    "set_participants",
    "standup",
    "summary",
    "validate_answer",
]
