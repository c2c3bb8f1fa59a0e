"""The experiments serving a project: linking, unlinking, and proposing one into it."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import projects as queries
from storage.models import Experiment, Project, ProjectExperiment
from workflow import experiments
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.outcome import Outcome
from workflow.projects.access import active, is_member
from workflow.projects.changes import changed


def _may_link(session: Session, project: Project, experiment: Experiment, user_id: str, step: str) -> None:
    if user_id != experiment.owner_id and not is_member(session, project, user_id):
        raise NotAllowed(
            f"Only the owner of {experiments.ref(experiment.number)} or a member of {project.name} "
            f"may {step}."
        )


def link(session: Session, *, team_id: str, actor_id: str, name: str, experiment_ref: str) -> Outcome:
    project = active(session, team_id=team_id, name=name)
    experiment = experiments.get(session, team_id=team_id, number=experiments.parse_ref(experiment_ref))
    _may_link(session, project, experiment, actor_id, "link it")
    assert experiment.id is not None and project.id is not None
    existing = queries.link_of(session, experiment_id=experiment.id)
    ref = experiments.ref(experiment.number)
    if existing is not None:
        if existing.project_id == project.id:
            return Outcome(project, changed=False, note=f"{ref} is already linked to {project.name}.")
        other = session.get(Project, existing.project_id)
        raise InvalidInput(
            f"{ref} already belongs to project {other.name if other else '?'}; an experiment serves one "
            f"project. Unlink it there first: `/project unlink {other.name if other else '?'} {ref}`."
        )
    try:
        with session.begin_nested():
            session.add(
                ProjectExperiment(
                    team_id=team_id, project_id=project.id, experiment_id=experiment.id, linked_by=actor_id
                )
            )
    except IntegrityError:
        raise InvalidInput(
            f"{ref} was just linked to another project; `/experiment show {ref}` says which."
        ) from None
    changed(session, project, actor_id=actor_id, action=v.ProjectAction.LINKED, detail=ref)
    return Outcome(project)


def prepare_into(
    session: Session,
    *,
    team_id: str,
    owner_id: str,
    name: str,
    hypothesis: str,
    workstream: str | None = None,
    channel_id: str | None = None,
) -> experiments.Proposal:
    """The checks and the estimate of a proposal into a project: reads only, so
    a caller can do them before taking SQLite's write lock. It takes the project's workstream
    unless given one, and its estimate learns from the project's own history. An unknown or
    archived project is refused here, and again by `create_into`, which writes."""
    project = active(session, team_id=team_id, name=name, for_update=False)
    assert project.id is not None
    return experiments.prepare(
        session,
        team_id=team_id,
        owner_id=owner_id,
        hypothesis=hypothesis,
        workstream=workstream or project.workstream,
        channel_id=channel_id,
        project_id=project.id,
    )


def create_into(session: Session, proposal: experiments.Proposal, *, name: str) -> tuple[Experiment, Project]:
    """Create a proposal `prepare_into` made, already serving its project. The proposer owns the
    experiment, so may link it. The project is locked and checked again: one archived (or
    replaced) since the proposal was prepared is refused, with nothing written."""
    project = active(session, team_id=proposal.team_id, name=name)
    if project.id != proposal.project_id:
        raise InvalidInput(f"Project {project.name} changed while you proposed; please propose again.")
    experiment = experiments.create(session, proposal)
    assert experiment.id is not None and project.id is not None
    session.add(
        ProjectExperiment(
            team_id=proposal.team_id,
            project_id=project.id,
            experiment_id=experiment.id,
            linked_by=proposal.owner_id,
        )
    )
    changed(
        session,
        project,
        actor_id=proposal.owner_id,
        action=v.ProjectAction.LINKED,
        detail=experiments.ref(experiment.number),
    )
    return experiment, project


def unlink(session: Session, *, team_id: str, actor_id: str, name: str, experiment_ref: str) -> Outcome:
    project = active(session, team_id=team_id, name=name)
    experiment = experiments.get(session, team_id=team_id, number=experiments.parse_ref(experiment_ref))
    _may_link(session, project, experiment, actor_id, "unlink it")
    assert experiment.id is not None
    existing = queries.link_of(session, experiment_id=experiment.id)
    ref = experiments.ref(experiment.number)
    if existing is None or existing.project_id != project.id:
        raise NotFound(f"{ref} is not linked to {project.name}; nothing changed.")
    session.delete(existing)
    changed(session, project, actor_id=actor_id, action=v.ProjectAction.UNLINKED, detail=ref)
    return Outcome(project)
