"""Proposing an experiment, into a project or not: the one way `/experiment propose`, its modal
and the tests propose."""

from __future__ import annotations

from dataclasses import replace

from storage.db import Database
from storage.models import Experiment
from workflow import criteria as success_criteria
from workflow import experiments, projects
from workflow.vocabulary import DEFAULT_WORKSTREAM


def propose(
    db: Database,
    *,
    team_id: str,
    owner_id: str,
    hypothesis: str,
    channel_id: str | None = None,
    workstream: str | None = None,
    project: str | None = None,
    criteria: str = "",
) -> Experiment:
    """Propose, into the project named if any. The checks and the estimate only read, so they go
    first; the write that follows holds SQLite's write lock just for the inserts. Raises the
    workflow's refusal (a bad hypothesis, an unknown or archived project) with nothing written."""
    # For: a read, then a unit of work holding SQLite's write lock only for the inserts.
    # Measured (0d4eeea, bench.load): write lock held per proposal 3.1 -> 1.8 ms; 240 -> 294 req/s.
    with db.read() as reading:
        if project:
            proposal = projects.prepare_into(
                reading,
                team_id=team_id,
                owner_id=owner_id,
                name=project,
                hypothesis=hypothesis,
                workstream=workstream,
                channel_id=channel_id,
            )
        else:
            proposal = experiments.prepare(
                reading,
                team_id=team_id,
                owner_id=owner_id,
                hypothesis=hypothesis,
                workstream=workstream or DEFAULT_WORKSTREAM,
                channel_id=channel_id,
            )
    declared = success_criteria.render(success_criteria.parse(criteria))
    proposal = replace(proposal, criteria=declared)
    with db.session() as session:
        if project:
            return projects.create_into(session, proposal, name=project)[0]
        return experiments.create(session, proposal)
