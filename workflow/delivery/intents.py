"""Queueing what a change owes Slack, in the change's own transaction: one function per intent."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage import deliveries as queries
from storage import projects as project_queries
from storage.deliveries import Intent
from storage.models import Experiment, Project
from workflow.delivery.args import (
    Args,
    DmArgs,
    News,
    NoticeArgs,
    NudgeArgs,
    OwnerNews,
    RegistryNotice,
    UnfurlArgs,
)
from workflow.delivery.kinds import SPECS, Kind, stream_of


def enqueue(
    session: Session,
    kind: Kind,
    *,
    team_id: str,
    stream_key: int | str,
    subject_id: int | None = None,
    channel_id: str | None = None,
    user_id: str | None = None,
    actor_id: str | None = None,
    args: Args | None = None,
) -> None:
    """Queue one intent of `kind`, its stream and coalescing as its spec says. A kind that
    coalesces is queued once while it waits (keyed by kind and subject, or stream key)."""
    spec = SPECS[kind]
    if (args is None) != (spec.args is None) or (args is not None and not isinstance(args, spec.args or ())):
        raise TypeError(f"a {kind} delivery takes {spec.args}, not {args!r}")
    key = subject_id if subject_id is not None else stream_key
    queries.enqueue(
        session,
        Intent(
            team_id=team_id,
            kind=kind,
            subject_id=subject_id,
            channel_id=channel_id,
            user_id=user_id,
            stream=stream_of(kind, stream_key),
            coalesce_key=f"{kind}:{key}" if spec.coalesce else None,
            actor_id=actor_id,
            args=args.encode() if args is not None else None,
        ),
    )


def _experiment(
    session: Session, experiment: Experiment, kind: Kind, *, actor_id: str | None, args: Args | None = None
) -> None:
    assert experiment.id is not None
    enqueue(
        session,
        kind,
        team_id=experiment.team_id,
        stream_key=experiment.id,
        subject_id=experiment.id,
        channel_id=experiment.channel_id,
        actor_id=actor_id,
        args=args,
    )


def refresh_experiment(session: Session, experiment: Experiment, *, actor_id: str | None) -> None:
    """Queue bringing the experiment's card and thread up to date (nothing if it has no channel)."""
    if experiment.channel_id is None:
        return
    _experiment(session, experiment, Kind.EXPERIMENT, actor_id=actor_id)


def notice(session: Session, experiment: Experiment, notice: NoticeArgs) -> None:
    """Queue a one-off reply in the experiment's thread, after what is already queued for it."""
    if experiment.channel_id is None:
        return
    _experiment(session, experiment, Kind.NOTICE, actor_id=notice.actor_id, args=notice)


def tell_owner(
    session: Session, experiment: Experiment, news: News, *, actor_id: str, detail: str = ""
) -> None:
    """Queue a DM telling the owner what happened to their experiment, unless they did it
    themselves (they saw it). Whether they want it, or are away, is looked at when it is sent."""
    if actor_id == experiment.owner_id:
        return
    assert experiment.id is not None
    enqueue(
        session,
        Kind.OWNER_DM,
        team_id=experiment.team_id,
        stream_key=experiment.id,
        subject_id=experiment.id,
        user_id=experiment.owner_id,
        # Nobody whose change it was can fix a DM that fails (a missing scope): no one's App Home.
        actor_id=None,
        args=OwnerNews(news, actor_id, detail),
    )


def nudge(session: Session, experiment: Experiment, *, claimed_at: datetime) -> None:
    """Queue the nudge claimed at `claimed_at`; whom it asks is decided when it is sent."""
    _experiment(session, experiment, Kind.NUDGE, actor_id=None, args=NudgeArgs(claimed_at))


def refresh_project(session: Session, project: Project, *, actor_id: str | None) -> None:
    """Queue posting or updating the project's card (nothing if it has no channel)."""
    if project.channel_id is None:
        return
    assert project.id is not None
    enqueue(
        session,
        Kind.PROJECT,
        team_id=project.team_id,
        stream_key=project.id,
        subject_id=project.id,
        channel_id=project.channel_id,
        actor_id=actor_id,
    )


def refresh_projects_of(session: Session, experiment: Experiment, *, actor_id: str | None) -> None:
    """Queue updating the card of the project the experiment serves, if any."""
    assert experiment.id is not None
    refresh_projects_of_id(session, experiment_id=experiment.id, actor_id=actor_id)


def refresh_projects_of_id(session: Session, *, experiment_id: int, actor_id: str | None) -> None:
    """`refresh_projects_of`, for an experiment known by its id alone."""
    for project in project_queries.projects_of_experiment(session, experiment_id=experiment_id):
        refresh_project(session, project, actor_id=actor_id)


def milestone_overdue(session: Session, project: Project, *, milestone_id: int) -> None:
    """Queue the overdue reminder of a milestone, after the project's card (it replies under it)."""
    assert project.id is not None
    enqueue(
        session,
        Kind.MILESTONE_OVERDUE,
        team_id=project.team_id,
        stream_key=project.id,
        subject_id=milestone_id,
        channel_id=project.channel_id,
    )


def reminder(session: Session, *, team_id: str, run_id: int, channel_id: str, actor_id: str | None) -> None:
    """Queue posting a ceremony run's reminder."""
    enqueue(
        session,
        Kind.REMINDER,
        team_id=team_id,
        stream_key=run_id,
        subject_id=run_id,
        channel_id=channel_id,
        actor_id=actor_id,
    )


def standup_prompts(session: Session, *, team_id: str, run_id: int, actor_id: str | None) -> None:
    """Queue asking a standup run's participants (looked up in Slack when it is sent). `actor_id`
    (whoever set the standup up) is told in App Home if it can never be done (a missing scope)."""
    enqueue(
        session,
        Kind.STANDUP_PROMPTS,
        team_id=team_id,
        stream_key=run_id,
        subject_id=run_id,
        actor_id=actor_id,
    )


def standup_dm(
    session: Session,
    *,
    team_id: str,
    prompt_id: int,
    user_id: str,
    followup: bool,
    actor_id: str | None = None,
) -> None:
    """Queue DMing one participant their prompt, or the follow-up; `actor_id` as for the prompts."""
    enqueue(
        session,
        Kind.STANDUP_DM,
        team_id=team_id,
        stream_key=prompt_id,
        subject_id=prompt_id,
        user_id=user_id,
        actor_id=actor_id,
        args=DmArgs(followup),
    )


def standup_answer(session: Session, *, team_id: str, run_id: int, answer_id: int, channel_id: str) -> None:
    """Queue posting (or editing) an answer's reply, after the reminder it hangs under."""
    enqueue(
        session,
        Kind.STANDUP_ANSWER,
        team_id=team_id,
        stream_key=run_id,
        subject_id=answer_id,
        channel_id=channel_id,
    )


def standup_summary(session: Session, *, team_id: str, run_id: int, channel_id: str) -> None:
    """Queue bringing the standup's summary (in its reminder) up to date."""
    enqueue(
        session,
        Kind.STANDUP_SUMMARY,
        team_id=team_id,
        stream_key=run_id,
        subject_id=run_id,
        channel_id=channel_id,
    )


def retro_board(session: Session, *, team_id: str, run_id: int, channel_id: str) -> None:
    """Queue posting or updating a retro's board, after the reminder it hangs under. It names no
    one who caused it: a note may be anonymous."""
    enqueue(
        session,
        Kind.RETRO_BOARD,
        team_id=team_id,
        stream_key=run_id,
        subject_id=run_id,
        channel_id=channel_id,
    )


def retro_chart(session: Session, *, team_id: str, run_id: int, channel_id: str) -> None:
    """Queue uploading the retro's flow chart, after the reminder it replies under (same stream).
    It is drawn when it is sent, by the delivery worker, never in the scheduler's pass."""
    enqueue(
        session,
        Kind.RETRO_CHART,
        team_id=team_id,
        stream_key=run_id,
        subject_id=run_id,
        channel_id=channel_id,
    )


def refresh_home(session: Session, *, team_id: str, user_id: str) -> None:
    """Queue publishing the person's App Home (once, however often it is asked for meanwhile)."""
    enqueue(
        session,
        Kind.HOME,
        team_id=team_id,
        stream_key=f"{team_id}:{user_id}",
        user_id=user_id,
        actor_id=user_id,
    )


def read_evidence(session: Session, experiment: Experiment) -> None:
    """Queue re-reading the experiment's linked runs and versions in the ML platform; asks made
    while one waits ride on it."""
    assert experiment.id is not None
    enqueue(
        session,
        Kind.EVIDENCE_READ,
        team_id=experiment.team_id,
        stream_key=experiment.id,
        subject_id=experiment.id,
    )


def set_registry_alias(session: Session, experiment: Experiment, *, actor_id: str) -> None:
    """Queue setting the promote alias on the experiment's model version, after its reads."""
    assert experiment.id is not None
    enqueue(
        session,
        Kind.REGISTRY_ALIAS,
        team_id=experiment.team_id,
        stream_key=experiment.id,
        subject_id=experiment.id,
        actor_id=actor_id,
    )


def registry_alert(session: Session, *, team_id: str, channel_id: str, alert: RegistryNotice) -> None:
    """Queue an alert about the registry into a channel that is no experiment's."""
    enqueue(
        session,
        Kind.REGISTRY_ALERT,
        team_id=team_id,
        stream_key=f"{team_id}:{channel_id}",
        channel_id=channel_id,
        args=alert,
    )


def unfurl(session: Session, *, team_id: str, links: UnfurlArgs) -> None:
    """Queue the previews of the MLflow links in one message."""
    enqueue(
        session,
        Kind.UNFURL,
        team_id=team_id,
        stream_key=f"{links.channel}:{links.ts}",
        channel_id=links.channel,
        args=links,
    )
