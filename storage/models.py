"""SQLModel tables. Every row carries the Slack `team_id` of the workspace it belongs to."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, Date, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import StrEnumColumn, UTCDateTime, utcnow
from storage.vocabulary import EvidenceRole, ReviewKind, ReviewState, Role, Status


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


class Workspace(SQLModel, table=True):
    """One row per Slack workspace; holds the per-workspace experiment counter."""

    team_id: str = Field(primary_key=True, max_length=32)
    experiment_seq: int = 0
    created_at: datetime = _ts()
    # Set when the workspace uninstalled the app (OAuth installs): its ceremonies wait, and
    # nothing is queued for it, until it installs the app again.
    uninstalled_at: datetime | None = _ts(nullable=True)


class Experiment(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_experiment_team_number"),
        # Every proposal's estimate reads the workstream's finished experiments: this finds them
        # without walking every experiment the workspace ever had (storage/experiments.py).
        Index("ix_experiment_team_workstream_status", "team_id", "workstream", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    number: int
    hypothesis: str = Field(sa_column=Column(Text, nullable=False))
    workstream: str = Field(max_length=32)
    owner_id: str = Field(max_length=32)
    status: Status = Field(default=Status.PROPOSED, sa_type=StrEnumColumn(Status), index=True)
    timeline_weeks: int
    # The timeline estimate fixed at proposal, learned from the team's history (None before it was
    # learned: the card then shows `timeline_weeks`), and what it was based on.
    estimate_days: int | None = None
    estimate_basis: str | None = Field(default=None, max_length=200)
    artifacts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Where the card lives: later changes reply in its thread and update it in place.
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    review_message_ts: str | None = Field(default=None, max_length=32)
    approval_message_ts: str | None = Field(default=None, max_length=32)
    deployment_message_ts: str | None = Field(default=None, max_length=32)
    # Why the last sign-off request closed before production (the evidence changed), until the
    # next `/experiment promote` asks again.
    signoff_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    status_changed_at: datetime = _ts()
    last_nudged_at: datetime | None = _ts(nullable=True)
    # Nudges since it started waiting in its status, and when they escalated (once per status).
    nudge_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    escalated_at: datetime | None = _ts(nullable=True)
    # Success criteria, declared up front (`accuracy>=0.9 latency_ms<=500`), and what the review
    # reply flags when they changed after the submit.
    criteria: str | None = Field(default=None, max_length=500)
    criteria_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Review(SQLModel, table=True):
    """One of the required reviews (technical, ethics, business) of an experiment."""

    __table_args__ = (UniqueConstraint("experiment_id", "kind", name="uq_review_experiment_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    experiment_id: int = Field(foreign_key="experiment.id", index=True, ondelete="CASCADE")
    kind: ReviewKind = Field(sa_type=StrEnumColumn(ReviewKind))
    status: ReviewState = Field(default=ReviewState.PENDING, sa_type=StrEnumColumn(ReviewState))
    reviewer_id: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_at: datetime | None = _ts(nullable=True)
    # The evidence the decision was made on (workflow/evidence.py); None before it was decided,
    # and for decisions made before evidence was kept.
    evidence: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What changed since an approval that went stale (workflow/staleness.py), until it is decided again.
    stale_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ChecklistItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("experiment_id", "key", name="uq_checklist_experiment_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    experiment_id: int = Field(foreign_key="experiment.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64)
    checked_by: str | None = Field(default=None, max_length=32)
    checked_at: datetime | None = _ts(nullable=True)


class Approval(SQLModel, table=True):
    """A production sign-off; unique per experiment and role so double clicks count once."""

    __table_args__ = (UniqueConstraint("experiment_id", "role", name="uq_approval_experiment_role"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    experiment_id: int = Field(foreign_key="experiment.id", index=True, ondelete="CASCADE")
    role: Role = Field(sa_type=StrEnumColumn(Role))
    approver_id: str = Field(max_length=32)
    approved_at: datetime = _ts()
    # The evidence the sign-off was given on; None for sign-offs given before evidence was kept.
    evidence: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Metric(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("experiment_id", "name", name="uq_metric_experiment_name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    experiment_id: int = Field(foreign_key="experiment.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=64)
    value: float
    recorded_by: str = Field(max_length=32)
    recorded_at: datetime = _ts()


class EvidenceLink(SQLModel, table=True):
    """A run or model version in the ML platform (MLflow) that an experiment rests on, with what
    the platform said of it when last read: the bot decides on this copy, and re-reads it."""

    __table_args__ = (
        Index("ix_evidencelink_run", "run_id"),
        Index("ix_evidencelink_version", "model", "version"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    experiment_id: int = Field(foreign_key="experiment.id", index=True, ondelete="CASCADE")
    role: EvidenceRole = Field(sa_type=StrEnumColumn(EvidenceRole))
    label: str = Field(max_length=300)  # as linked: `runs:/…`, `models:/name@alias`
    run_id: str | None = Field(default=None, max_length=64)  # a version's: the run it came from
    model: str | None = Field(default=None, max_length=256)
    version: str | None = Field(default=None, max_length=32)
    facts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON, as last read
    read_at: datetime | None = _ts(nullable=True)
    # Why the last re-read failed (MLflow away), shown until one succeeds.
    read_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    linked_by: str = Field(max_length=32)
    linked_at: datetime = _ts()


class WebhookReceipt(SQLModel, table=True):
    """An MLflow webhook delivery already handled, so a repeated one changes nothing. Not scoped
    by team: the tracking server belongs to the deployment, and one event may concern several
    workspaces' experiments."""

    delivery_id: str = Field(primary_key=True, max_length=64)
    event: str = Field(max_length=64)
    received_at: datetime = _ts(index=True)


class AuditEvent(SQLModel, table=True):
    """Who did what, when. Written in the same transaction as the change it records."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    experiment_id: int | None = Field(
        default=None, foreign_key="experiment.id", index=True, nullable=True, ondelete="CASCADE"
    )
    project_id: int | None = Field(
        default=None, foreign_key="project.id", index=True, nullable=True, ondelete="CASCADE"
    )
    actor_id: str = Field(max_length=32)
    action: str = Field(max_length=64)
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What a decision that changed the status was about (a `Gate`: a review kind or `sign-off`).
    gate: str | None = Field(default=None, max_length=32)
    # The digest of the evidence a decision was made on (workflow/evidence.py).
    evidence_digest: str | None = Field(default=None, max_length=16)
    created_at: datetime = _ts(index=True)


class Project(SQLModel, table=True):
    """An AI project: a name, a workstream, members, milestones and the experiments serving it."""

    __table_args__ = (UniqueConstraint("team_id", "name_key", name="uq_project_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    name: str = Field(max_length=40)
    # The name lowercased: names are unique per workspace whatever their case.
    name_key: str = Field(max_length=40)
    workstream: str = Field(max_length=32)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    owner_id: str = Field(max_length=32)
    # Archived projects leave the lists and reminders but keep their history.
    archived_at: datetime | None = _ts(nullable=True)
    # Where the project card lives; it is updated in place after every change.
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ProjectMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_member_project_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    added_by: str = Field(max_length=32)
    added_at: datetime = _ts()


class Milestone(SQLModel, table=True):
    """`M<number>` of a project. `overdue_reminded_at` is the claim that makes the overdue
    reminder post at most once however many scheduler passes race for it."""

    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_milestone_project_number"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    number: int
    title: str = Field(max_length=200)
    due_on: date
    done_at: datetime | None = _ts(nullable=True)
    done_by: str | None = Field(default=None, max_length=32)
    overdue_reminded_at: datetime | None = _ts(nullable=True)
    created_by: str = Field(max_length=32)
    created_at: datetime = _ts()


class ProjectExperiment(SQLModel, table=True):
    """An experiment serving a project; unique per experiment, so it belongs to at most one."""

    __table_args__ = (UniqueConstraint("experiment_id", name="uq_link_experiment"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    experiment_id: int = Field(foreign_key="experiment.id", ondelete="CASCADE")
    linked_by: str = Field(max_length=32)
    linked_at: datetime = _ts()


class RoleAssignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("team_id", "user_id", "role", name="uq_role_team_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    role: Role = Field(sa_type=StrEnumColumn(Role))
    granted_by: str = Field(max_length=32)
    granted_at: datetime = _ts()


class Ceremony(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_ceremony_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    name: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    schedule: str = Field(max_length=64)
    timezone: str = Field(max_length=64)
    duration_minutes: int
    paused: bool = False
    # Standups: answers are collected for this long after the reminder, then summarised.
    close_minutes: int = Field(default=120, sa_column_kwargs={"server_default": "120"})
    # Standups: ask each participant at the ceremony's time in their own timezone (`local on`).
    local: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    created_by: str = Field(max_length=32)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class CeremonyRun(SQLModel, table=True):
    """One occurrence of a ceremony. The unique (ceremony, due_at) pair is the claim that
    makes a reminder post at most once however many scheduler passes race for it."""

    __table_args__ = (
        UniqueConstraint("ceremony_id", "due_at", name="uq_run_ceremony_due"),
        # A `local` standup's day: its run is due at the first participant's time, which moves
        # when a timezone is learned, so the day is the claim (NULL for every other run).
        Index("uq_run_ceremony_local_day", "ceremony_id", "local_day", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    ceremony_id: int = Field(foreign_key="ceremony.id", index=True, ondelete="CASCADE")
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = 0
    claimed_at: datetime = _ts()
    posted_at: datetime | None = _ts(nullable=True)
    message_ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Standups: when the follow-up and the close are due, and when a pass claimed each.
    followup_at: datetime | None = _ts(nullable=True)
    followed_up_at: datetime | None = _ts(nullable=True)
    closes_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    # Retros: the board of notes, posted once in the reminder's thread and updated in place.
    board_ts: str | None = Field(default=None, max_length=32)
    # `local` standups: the date (in the ceremony's timezone) whose morning this run is.
    local_day: date | None = Field(default=None, sa_type=Date, nullable=True)


# Rows waiting to be sent, among which a coalesce key is unique (a partial index).
WAITING_KEY = "state = 'pending' AND coalesce_key IS NOT NULL"


class Delivery(SQLModel, table=True):
    """Something the bot owes Slack, queued in the same transaction as the change that caused it.

    A row holds an intent ("bring the card of experiment 12 up to date", "post the reminder of
    run 7"), never a rendered payload: the worker renders from the database when it sends, so a
    row that waited shows what is true then. Rows of one `stream` are sent one at a time in id
    order; a pending row with a `coalesce_key` absorbs later intents with the same key.
    """

    __table_args__ = (
        # Claims walk each state's rows in id order (storage/deliveries.py `_heads`).
        Index("ix_delivery_state_id", "state", "id"),
        Index("ix_delivery_stream", "stream", "id"),
        # At most one waiting row per coalesce key: a second intent finds it and adds nothing.
        Index(
            "uq_delivery_waiting_key",
            "coalesce_key",
            unique=True,
            sqlite_where=text(WAITING_KEY),
            postgresql_where=text(WAITING_KEY),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    kind: str = Field(max_length=32)
    # What the intent is about: an experiment id, a ceremony run id, … (by kind).
    subject_id: int | None = None
    # Where it goes: the channel (paced per channel) or, for App Home, the user.
    channel_id: str | None = Field(default=None, max_length=32)
    user_id: str | None = Field(default=None, max_length=32)
    # The intent's parameters that the database does not hold elsewhere (JSON), e.g. a reason.
    args: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    stream: str = Field(max_length=96)
    coalesce_key: str | None = Field(default=None, max_length=96)
    # Whose change caused it: told in App Home if it can never be delivered.
    actor_id: str | None = Field(default=None, max_length=32)
    state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    # Not sent before this time (a retry's backoff); None: as soon as its turn comes.
    not_before: datetime | None = _ts(nullable=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    delivered_at: datetime | None = _ts(nullable=True)


class ChannelPace(SQLModel, table=True):
    """Per-channel posting pace, shared by every process: a token bucket kept as one time (GCRA),
    and the pause a 429's Retry-After asks for."""

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    # The bucket is empty until this time; it refills one token per 1/rate seconds.
    theoretical_at: datetime | None = _ts(nullable=True)
    paused_until: datetime | None = _ts(nullable=True)


class Away(SQLModel, table=True):
    """Someone who said they are away (`/aiteam away`): no standup prompts, no nudges.

    `until` is the last day away (inclusive, in the workspace's timezone); None: until they say
    `/aiteam back`. One row per person; `back` deletes it.
    """

    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_away_team_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    until: date | None = Field(default=None, sa_type=Date, nullable=True)
    reason: str | None = Field(default=None, max_length=200)
    since: datetime = _ts()


class Holiday(SQLModel, table=True):
    """A workspace holiday: no ceremony is posted on that date, in each ceremony's timezone."""

    __table_args__ = (UniqueConstraint("team_id", "day", name="uq_holiday_team_day"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    day: date = Field(sa_type=Date, nullable=False)
    name: str | None = Field(default=None, max_length=100)
    created_by: str = Field(max_length=32)
    created_at: datetime = _ts()


class StandupParticipant(SQLModel, table=True):
    """An explicit participant of a standup; a standup with none asks its channel's humans."""

    __table_args__ = (UniqueConstraint("ceremony_id", "user_id", name="uq_participant_ceremony_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    ceremony_id: int = Field(foreign_key="ceremony.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=32)


class StandupPrompt(SQLModel, table=True):
    """One participant of one standup run. The unique (run, user) insert is the claim that makes
    their DM go out once; someone away is recorded (for the summary) and not asked."""

    __table_args__ = (UniqueConstraint("run_id", "user_id", name="uq_prompt_run_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    run_id: int = Field(foreign_key="ceremonyrun.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    away: bool = False
    dm_channel: str | None = Field(default=None, max_length=32)
    dm_ts: str | None = Field(default=None, max_length=32)
    # `local` standups: when this person is asked (their own morning) and their follow-up is due,
    # and when a pass claimed each; None for a standup that asks everyone with the reminder.
    ask_at: datetime | None = _ts(nullable=True)
    asked_at: datetime | None = _ts(nullable=True)
    followup_at: datetime | None = _ts(nullable=True)
    followed_up_at: datetime | None = _ts(nullable=True)


class StandupMember(SQLModel, table=True):
    """A standup's participant as last looked up in Slack, with their timezone (`users.info`
    `tz`), so a scheduler pass (which never calls Slack) can tell when their morning is."""

    __table_args__ = (UniqueConstraint("ceremony_id", "user_id", name="uq_member_ceremony_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    ceremony_id: int = Field(foreign_key="ceremony.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    tz: str | None = Field(default=None, max_length=64)
    seen_at: datetime = _ts()


class StandupAnswer(SQLModel, table=True):
    """A person's answer to one standup run; answering again replaces it (and edits its reply)."""

    __table_args__ = (UniqueConstraint("run_id", "user_id", name="uq_answer_run_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    run_id: int = Field(foreign_key="ceremonyrun.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    progress: str = Field(sa_column=Column(Text, nullable=False))
    blockers: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    help: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Answered after the standup closed: still posted, marked late.
    late: bool = False
    reply_ts: str | None = Field(default=None, max_length=32)
    answered_at: datetime = _ts()


class StandupBlocker(SQLModel, table=True):
    """A blocker that named an experiment, posted once in its thread however often it is re-answered."""

    __table_args__ = (
        UniqueConstraint("run_id", "user_id", "experiment_id", name="uq_blocker_run_user_experiment"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    run_id: int = Field(foreign_key="ceremonyrun.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    experiment_id: int = Field(foreign_key="experiment.id", index=True, ondelete="CASCADE")


class RetroNote(SQLModel, table=True):
    """A note for a retro: went well, to improve, or an action item with its owner.

    It waits (`run_id` None) until the retro's next reminder claims it for its board. The author
    is stored only when the note is not anonymous: an anonymous note names nobody, anywhere.
    """

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    ceremony_id: int = Field(foreign_key="ceremony.id", index=True, ondelete="CASCADE")
    run_id: int | None = Field(default=None, foreign_key="ceremonyrun.id", index=True, ondelete="SET NULL")
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author_id: str | None = Field(default=None, max_length=32)
    owner_id: str | None = Field(default=None, max_length=32)  # action items
    created_at: datetime = _ts()
    done_at: datetime | None = _ts(nullable=True)
    done_by: str | None = Field(default=None, max_length=32)


class Learning(SQLModel, table=True):
    """What the team learned from an experiment, written by anyone, usually once it has closed."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    experiment_id: int = Field(foreign_key="experiment.id", index=True, ondelete="CASCADE")
    author_id: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    differently: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Lowercase words, comma-separated with no spaces ("rag,latency"), so a search can match them.
    tags: str = Field(default="", max_length=500)
    created_at: datetime = _ts(index=True)


class BiasCheck(SQLModel, table=True):
    """Bias checks an ethics reviewer ran on an experiment: which, on what data, found what."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    experiment_id: int = Field(foreign_key="experiment.id", index=True, ondelete="CASCADE")
    reviewer_id: str = Field(max_length=32)
    # The keys of the checks run, comma-separated ("subgroup_performance,privacy_pii").
    checks: str = Field(max_length=200)
    data: str = Field(sa_column=Column(Text, nullable=False))  # the evaluation data or slice
    findings: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    result: str = Field(max_length=16)  # passed | concerns
    created_at: datetime = _ts()


class SentMessage(SQLModel, table=True):
    """What the bot last sent into a message it keeps up to date (a card, a thread reply): a
    digest of the rendered payload, so an update that would change nothing is not sent."""

    __table_args__ = (UniqueConstraint("team_id", "channel_id", "ts", name="uq_sent_team_channel_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    digest: str = Field(max_length=64)
    updated_at: datetime = _ts()


class NotificationSetting(SQLModel, table=True):
    """A person's choice about the DMs the bot sends them (no row: the defaults)."""

    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_notification_team_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    # DMs about one's own experiments: reviews complete, changes requested, rejected, decisions
    # gone stale, a request expired, production.
    owner_dms: bool = True
    updated_at: datetime = _ts()


# Slack's OAuth tables (many-workspace installs), exactly as slack_sdk's SQLAlchemy stores define
# them, in this metadata: the migrations are checked against them, and deleting a workspace's
# data finds them like every other table with a `team_id`.
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(
    SQLModel.metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    SQLModel.metadata, SQLAlchemyOAuthStateStore.default_table_name
)
