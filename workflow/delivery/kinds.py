"""The kinds of delivery, each declared once with its `Spec`: the one place a new kind is added.

A kind's spec says where its rows wait (`stream`), whether a waiting row absorbs later asks
(`coalesce`), whether it posts into a channel and so counts against the channel's pace
(`paced`), what its arguments are (`args`), how it is described to a person when it could
never be delivered (`describe`), and which card-bearing subject lists its problems (`subject`).
`PACED` and the problem listings are derived from the specs; the sender of each kind is
registered in `bot/delivery/senders/` with `@sends(Kind.X)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from storage.models import Ceremony, CeremonyRun, Delivery, Experiment, Milestone, Project
from workflow.delivery.args import Args, DmArgs, NoticeArgs, NudgeArgs, OwnerNews, RegistryNotice, UnfurlArgs
from workflow.refs import Subject, ref


class Kind(StrEnum):
    """What a delivery row asks for."""

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
    OWNER_DM = "owner_dm"  # tell an experiment's owner what happened to it, in a DM
    EVIDENCE_READ = "evidence_read"  # re-read an experiment's linked runs and versions in MLflow
    REGISTRY_ALIAS = "registry_alias"  # set MLFLOW_PROMOTE_ALIAS on a production experiment's model
    REGISTRY_ALERT = "registry_alert"  # a guarded alias on a model no experiment owns: the alert channel
    UNFURL = "unfurl"  # unfurl MLflow links posted in a channel


class Stream(StrEnum):
    """What a row waits behind: rows of one stream go one at a time, in the order queued.
    A stream is `<Stream>:<key>`: `experiment:12` (the experiment's row id), `run:4`, …"""

    EXPERIMENT = "experiment"  # the card and its thread: the card is posted before its replies
    PROJECT = "project"
    RUN = "run"  # a ceremony run: the reminder before the answers, summary and board under it
    STANDUP_DM = "standup_dm"  # one participant's prompt (key: the prompt id)
    HOME = "home"  # one person's App Home (key: `<team>:<user>`)
    # An experiment's calls to the ML platform, apart from its card: an MLflow outage, retried
    # for as long as it lasts, must not hold up the card and its thread.
    EVIDENCE = "evidence"
    CHANNEL = "channel"  # posts into one channel that belong to no card (key: `<team>:<channel>`)
    UNFURL = "unfurl"  # one message's links (key: `<channel>:<ts>`)


Describe = Callable[[Session, Delivery], str]


@dataclass(frozen=True)
class Spec:
    stream: Stream
    describe: Describe  # for people: "the card of EXP-3"
    paced: bool  # posts into a channel, so counts against that channel's pace
    coalesce: bool = False  # renders current state: a waiting row absorbs later asks
    args: type[Args] | None = None  # what the row carries beyond its subject
    subject: Subject | None = None  # the card whose problems list it


# -- how each kind is described to a person ---------------------------------------------------------


def _experiment_ref(session: Session, row: Delivery) -> str:
    experiment = session.get(Experiment, row.subject_id) if row.subject_id is not None else None
    return ref(experiment.number) if experiment else "a deleted experiment"


def _reminder(session: Session, row: Delivery) -> str:
    run = session.get(CeremonyRun, row.subject_id) if row.subject_id is not None else None
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    return f"the {ceremony.name} reminder" if ceremony else "a ceremony reminder"


def _project(session: Session, row: Delivery) -> str:
    project = session.get(Project, row.subject_id) if row.subject_id is not None else None
    return f"the card of project {project.name}" if project else "the card of a deleted project"


def _milestone(session: Session, row: Delivery) -> str:
    milestone = session.get(Milestone, row.subject_id) if row.subject_id is not None else None
    return f"the overdue reminder of M{milestone.number}" if milestone else "a milestone reminder"


def _fixed(text: str) -> Describe:
    return lambda session, row: text


SPECS: dict[Kind, Spec] = {
    Kind.EXPERIMENT: Spec(
        Stream.EXPERIMENT,
        lambda s, row: f"the card of {_experiment_ref(s, row)}",
        paced=True,
        coalesce=True,
        subject=Subject.EXPERIMENT,
    ),
    Kind.NOTICE: Spec(
        Stream.EXPERIMENT,
        lambda s, row: f"a reply in the thread of {_experiment_ref(s, row)}",
        paced=True,
        args=NoticeArgs,
        subject=Subject.EXPERIMENT,
    ),
    Kind.NUDGE: Spec(
        Stream.EXPERIMENT,
        lambda s, row: f"the reminder to reviewers of {_experiment_ref(s, row)}",
        paced=True,
        args=NudgeArgs,
        subject=Subject.EXPERIMENT,
    ),
    Kind.REMINDER: Spec(Stream.RUN, _reminder, paced=True),
    Kind.HOME: Spec(Stream.HOME, lambda s, row: f"the App Home of {row.user_id}", paced=False, coalesce=True),
    Kind.PROJECT: Spec(Stream.PROJECT, _project, paced=True, coalesce=True, subject=Subject.PROJECT),
    Kind.MILESTONE_OVERDUE: Spec(Stream.PROJECT, _milestone, paced=True, subject=Subject.PROJECT),
    Kind.STANDUP_PROMPTS: Spec(Stream.RUN, _fixed("the standup prompts"), paced=False),
    Kind.STANDUP_DM: Spec(Stream.STANDUP_DM, _fixed("the standup DMs"), paced=False, args=DmArgs),
    Kind.STANDUP_ANSWER: Spec(Stream.RUN, _fixed("a standup answer"), paced=True, coalesce=True),
    Kind.STANDUP_SUMMARY: Spec(Stream.RUN, _fixed("the standup summary"), paced=True, coalesce=True),
    Kind.RETRO_BOARD: Spec(Stream.RUN, _fixed("the retro board"), paced=True, coalesce=True),
    Kind.RETRO_CHART: Spec(Stream.RUN, _fixed("the retro's flow chart"), paced=True),
    # After the card's update in the experiment's stream; a DM is not the team channel's pace.
    Kind.OWNER_DM: Spec(
        Stream.EXPERIMENT,
        lambda s, row: f"a DM to the owner of {_experiment_ref(s, row)}",
        paced=False,
        args=OwnerNews,
        subject=Subject.EXPERIMENT,
    ),
    Kind.EVIDENCE_READ: Spec(
        Stream.EVIDENCE,
        lambda s, row: f"reading the MLflow evidence of {_experiment_ref(s, row)}",
        paced=False,
        coalesce=True,
        subject=Subject.EXPERIMENT,
    ),
    Kind.REGISTRY_ALIAS: Spec(
        Stream.EVIDENCE,
        lambda s, row: f"setting the production alias of {_experiment_ref(s, row)}'s model in MLflow",
        paced=False,
        subject=Subject.EXPERIMENT,
    ),
    Kind.REGISTRY_ALERT: Spec(
        Stream.CHANNEL,
        _fixed("an alert about a model in the MLflow registry"),
        paced=True,
        args=RegistryNotice,
    ),
    Kind.UNFURL: Spec(Stream.UNFURL, _fixed("the preview of an MLflow link"), paced=False, args=UnfurlArgs),
}

_missing = set(Kind) - SPECS.keys()
if _missing:  # a bug in this file, caught at import rather than at the first such delivery
    raise RuntimeError(f"delivery kinds without a spec: {sorted(_missing)}")

# Kinds that post into a channel, so count against its pace.
PACED = frozenset(kind for kind, spec in SPECS.items() if spec.paced)


def args_of(row: Delivery) -> Args | None:
    """The row's arguments, typed as its kind's spec says (None for a kind that takes none)."""
    spec = SPECS[Kind(row.kind)]
    if spec.args is None:
        return None
    return spec.args.decode(json.loads(row.args or "{}"))


def kinds_of(subject: Subject) -> tuple[Kind, ...]:
    """The kinds whose failures are problems of a card of `subject`."""
    return tuple(kind for kind, spec in SPECS.items() if spec.subject is subject)


def stream_of(kind: Kind, key: int | str) -> str:
    return f"{SPECS[kind].stream}:{key}"
