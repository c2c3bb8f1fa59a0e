"""Queueing what a change owes Slack, in the change's own transaction: one function per intent."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage import deliveries as queries
from storage import projects as project_queries
from storage.deliveries import Intent
from storage.models import Experiment, Project
from workflow.delivery.kinds import Kind, Notice, experiment_stream, project_stream, run_stream


def _experiment_row(experiment: Experiment, kind: Kind, *, actor_id: str | None, **values: Any) -> Intent:
    assert experiment.id is not None
    return Intent(
        team_id=experiment.team_id,
        kind=kind,
        subject_id=experiment.id,
        channel_id=experiment.channel_id,
        stream=experiment_stream(experiment.id),
        actor_id=actor_id,
        **values,
    )


def refresh_experiment(session: Session, experiment: Experiment, *, actor_id: str | None) -> None:
    """Queue bringing the experiment's card and thread up to date (nothing if it has no channel)."""
    if experiment.channel_id is None:
        return
    assert experiment.id is not None
    queries.enqueue(
        session,
        _experiment_row(
            experiment, Kind.EXPERIMENT, actor_id=actor_id, coalesce_key=f"experiment:{experiment.id}"
        ),
    )


def notice(session: Session, experiment: Experiment, notice: Notice, *, actor_id: str, **args: str) -> None:
    """Queue a one-off reply in the experiment's thread, after what is already queued for it."""
    if experiment.channel_id is None:
        return
    payload = json.dumps({"notice": notice, "actor_id": actor_id, **args})
    queries.enqueue(session, _experiment_row(experiment, Kind.NOTICE, actor_id=actor_id, args=payload))


def nudge(session: Session, experiment: Experiment, *, claimed_at: datetime) -> None:
    """Queue the nudge claimed at `claimed_at`; whom it asks is decided when it is sent."""
    queries.enqueue(
        session,
        _experiment_row(
            experiment, Kind.NUDGE, actor_id=None, args=json.dumps({"claimed_at": claimed_at.isoformat()})
        ),
    )


def refresh_project(session: Session, project: Project, *, actor_id: str | None) -> None:
    """Queue posting or updating the project's card (nothing if it has no channel)."""
    if project.channel_id is None:
        return
    assert project.id is not None
    stream = project_stream(project.id)
    queries.enqueue(
        session,
        Intent(
            team_id=project.team_id,
            kind=Kind.PROJECT,
            subject_id=project.id,
            channel_id=project.channel_id,
            stream=stream,
            coalesce_key=stream,
            actor_id=actor_id,
        ),
    )


def refresh_projects_of(session: Session, experiment: Experiment, *, actor_id: str | None) -> None:
    """Queue updating the card of the project the experiment serves, if any."""
    assert experiment.id is not None
    for project in project_queries.projects_of_experiment(session, experiment_id=experiment.id):
        refresh_project(session, project, actor_id=actor_id)


def milestone_overdue(session: Session, project: Project, *, milestone_id: int) -> None:
    """Queue the overdue reminder of a milestone, after the project's card (it replies under it)."""
    assert project.id is not None
    queries.enqueue(
        session,
        Intent(
            team_id=project.team_id,
            kind=Kind.MILESTONE_OVERDUE,
            subject_id=milestone_id,
            channel_id=project.channel_id,
            stream=project_stream(project.id),
            actor_id=None,
        ),
    )


def reminder(session: Session, *, team_id: str, run_id: int, channel_id: str, actor_id: str | None) -> None:
    """Queue posting a ceremony run's reminder."""
    queries.enqueue(
        session,
        Intent(
            team_id=team_id,
            kind=Kind.REMINDER,
            subject_id=run_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
            actor_id=actor_id,
        ),
    )


def standup_prompts(session: Session, *, team_id: str, run_id: int, actor_id: str | None) -> None:
    """Queue asking a standup run's participants (looked up in Slack when it is sent). `actor_id`
    (whoever set the standup up) is told in App Home if it can never be done (a missing scope)."""
    queries.enqueue(
        session,
        Intent(
            team_id=team_id,
            kind=Kind.STANDUP_PROMPTS,
            subject_id=run_id,
            stream=run_stream(run_id),
            actor_id=actor_id,
        ),
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
    queries.enqueue(
        session,
        Intent(
            team_id=team_id,
            kind=Kind.STANDUP_DM,
            subject_id=prompt_id,
            user_id=user_id,
            stream=f"standup_dm:{prompt_id}",
            args=json.dumps({"followup": followup}),
            actor_id=actor_id,
        ),
    )


def standup_answer(session: Session, *, team_id: str, run_id: int, answer_id: int, channel_id: str) -> None:
    """Queue posting (or editing) an answer's reply, after the reminder it hangs under."""
    queries.enqueue(
        session,
        Intent(
            team_id=team_id,
            kind=Kind.STANDUP_ANSWER,
            subject_id=answer_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
            coalesce_key=f"standup_answer:{answer_id}",
        ),
    )


def standup_summary(session: Session, *, team_id: str, run_id: int, channel_id: str) -> None:
    """Queue bringing the standup's summary (in its reminder) up to date."""
    queries.enqueue(
        session,
        Intent(
            team_id=team_id,
            kind=Kind.STANDUP_SUMMARY,
            subject_id=run_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
            coalesce_key=f"standup_summary:{run_id}",
        ),
    )


def retro_board(session: Session, *, team_id: str, run_id: int, channel_id: str) -> None:
    """Queue posting or updating a retro's board, after the reminder it hangs under. It names no
    one who caused it: a note may be anonymous."""
    queries.enqueue(
        session,
        Intent(
            team_id=team_id,
            kind=Kind.RETRO_BOARD,
            subject_id=run_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
            coalesce_key=f"retro_board:{run_id}",
        ),
    )


def retro_chart(session: Session, *, team_id: str, run_id: int, channel_id: str) -> None:
    """Queue uploading the retro's flow chart, after the reminder it replies under (same stream).
    It is drawn when it is sent, by the delivery worker, never in the scheduler's pass."""
    queries.enqueue(
        session,
        Intent(
            team_id=team_id,
            kind=Kind.RETRO_CHART,
            subject_id=run_id,
            channel_id=channel_id,
            stream=run_stream(run_id),
        ),
    )


def refresh_home(session: Session, *, team_id: str, user_id: str) -> None:
    """Queue publishing the person's App Home (once, however often it is asked for meanwhile)."""
    key = f"home:{team_id}:{user_id}"
    queries.enqueue(
        session,
        Intent(
            team_id=team_id, kind=Kind.HOME, user_id=user_id, stream=key, coalesce_key=key, actor_id=user_id
        ),
    )
