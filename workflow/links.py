"""An experiment's evidence in the ML platform: linking runs and model versions, and keeping
what the platform says of them fresh.

Links are checked against the platform before they are stored (by the caller, which reads the
facts outside any transaction and hands them here). Of the runs, the latest linked is the
*candidate* the success criteria are checked against, earlier ones stay listed, and one may be
the *baseline* it is compared with. Linked runs and versions are re-read at submit, at each
review decision and sign-off, and every `MLFLOW_REFRESH_MINUTES` while the experiment waits
on people (`read_due`); a re-read that finds new values records them, updates the review reply
and makes decisions made on the old values stale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlmodel import Session

from mlplatform.client import Facts, RunFacts, VersionFacts
from mlplatform.errors import NotFound, PlatformError
from mlplatform.links import Link, LinkError, LinkKind, parse
from storage import experiments as experiment_queries
from storage import links as queries
from storage import roles
from storage.models import EvidenceLink, Experiment
from storage.types import utcnow
from workflow import delivery, lifecycle, review, staleness
from workflow import facts as platform
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed
from workflow.evidence import Evidence
from workflow.experiments import get, ref
from workflow.metrics import stale_note
from workflow.outcome import Outcome

MAX_PER_COMMAND = 5
BASELINE: Final = "baseline:"
EXAMPLE = "`/experiment evidence EXP-1 runs:/<run_id> baseline:runs:/<run_id>`"
# While the experiment waits on people, its evidence is re-read on a schedule.
READ_STATUSES: Final = (v.Status.IN_REVIEW, v.Status.REVIEWED, v.Status.APPROVED)
# At most this many experiments' reads are queued by one scheduler pass.
READS_PER_PASS = 200


@dataclass(frozen=True)
class Asked:
    """One link asked for: the link, and whether it is the baseline."""

    link: Link
    baseline: bool = False


def parse_request(tokens: Sequence[str]) -> list[Asked]:
    """`["runs:/abc", "baseline:runs:/def"]` → what to link, or InvalidInput saying what is wrong."""
    if not tokens:
        raise InvalidInput(f"Give what to link, e.g. {EXAMPLE}.")
    if len(tokens) > MAX_PER_COMMAND:
        raise InvalidInput(f"Link at most {MAX_PER_COMMAND} at a time.")
    asked = []
    for token in tokens:
        baseline = token.lower().startswith(BASELINE)
        try:
            link = parse(token[len(BASELINE) :] if baseline else token)
        except LinkError as error:
            raise InvalidInput(str(error)) from None
        if baseline and link.kind != LinkKind.RUN:
            raise InvalidInput(f"A baseline is a run to compare with; `{link.label}` is a model version.")
        asked.append(Asked(link, baseline))
    if sum(a.baseline for a in asked) > 1:
        raise InvalidInput("An experiment has at most one baseline; give one `baseline:` link.")
    if sum(a.link.kind == LinkKind.RUN and not a.baseline for a in asked) > 1:
        raise InvalidInput("Link one candidate run at a time (the latest linked is the candidate).")
    return asked


def check_may_link(session: Session, *, team_id: str, number: int, actor_id: str) -> Experiment:
    """The experiment, if `actor_id` may link evidence to it now (before MLflow is asked)."""
    experiment = get(session, team_id=team_id, number=number)
    if actor_id != experiment.owner_id and not roles.roles_of(session, team_id=team_id, user_id=actor_id):
        raise NotAllowed(
            f"Only the owner of {ref(number)} or someone holding a team role (`/aiteam roles`) may link "
            "its evidence."
        )
    if experiment.status in v.CLOSED_STATUSES:
        raise lifecycle.refuse(experiment, f"link evidence to {ref(number)}")
    return experiment


def link(
    session: Session,
    *,
    team_id: str,
    number: int,
    actor_id: str,
    found: Sequence[tuple[Asked, Facts]],
) -> Outcome:
    """Store the links, each with the facts MLflow gave for it just now."""
    check_may_link(session, team_id=team_id, number=number, actor_id=actor_id)
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    assert experiment.id is not None
    links = list(queries.of_experiment(session, experiment_id=experiment.id))
    said = []
    now = utcnow()
    for asked, facts in found:
        before = {(x.id, x.role, x.facts) for x in links}
        if isinstance(facts, RunFacts):
            role = v.EvidenceRole.BASELINE if asked.baseline else v.EvidenceRole.CANDIDATE
            row = _attach_run(
                session, experiment, links, facts, role=role, label=asked.link.label, actor_id=actor_id
            )
            what = f"{role} run {facts.name}"
        else:
            row = _attach_version(
                session, experiment, links, facts, label=asked.link.label, actor_id=actor_id
            )
            what = f"model {facts.model} v{facts.version}"
        row.facts, row.read_at, row.read_error = platform.encode(facts), now, None
        session.add(row)
        if {(x.id, x.role, x.facts) for x in links} != before:
            said.append(what)
    if not said:
        # Linked already, as it is in MLflow now: a repeat (or a double submit) records nothing.
        return Outcome(experiment, changed=False, note="That evidence is linked already.")
    return _after_change(session, experiment, actor_id=actor_id, detail="linked " + ", ".join(said))


def _attach_run(
    session: Session,
    experiment: Experiment,
    links: list[EvidenceLink],
    facts: RunFacts,
    *,
    role: v.EvidenceRole,
    label: str,
    actor_id: str,
) -> EvidenceLink:
    # The run taking a role takes it from the run that held it: an earlier candidate stays
    # listed, a replaced baseline is no longer compared with.
    holder = platform.with_role(links, role)
    if holder is not None and holder.run_id != facts.run_id:
        if role == v.EvidenceRole.CANDIDATE:
            holder.role = v.EvidenceRole.EARLIER
            session.add(holder)
        else:
            links.remove(holder)
            session.delete(holder)
    row = next((x for x in links if x.model is None and x.run_id == facts.run_id), None)
    if row is None:
        assert experiment.id is not None
        row = EvidenceLink(
            team_id=experiment.team_id,
            experiment_id=experiment.id,
            role=role,
            label=label,
            run_id=facts.run_id,
            linked_by=actor_id,
        )
        links.append(row)
    row.role = role
    return row


def _attach_version(
    session: Session,
    experiment: Experiment,
    links: list[EvidenceLink],
    facts: VersionFacts,
    *,
    label: str,
    actor_id: str,
) -> EvidenceLink:
    row = next((x for x in links if x.model == facts.model and x.version == facts.version), None)
    if row is None:
        assert experiment.id is not None
        row = EvidenceLink(
            team_id=experiment.team_id,
            experiment_id=experiment.id,
            role=v.EvidenceRole.MODEL,
            label=label,
            run_id=facts.run_id,
            model=facts.model,
            version=facts.version,
            linked_by=actor_id,
        )
        links.append(row)
    return row


def attach_version(session: Session, experiment: Experiment, facts: VersionFacts, *, actor_id: str) -> bool:
    """Link a version the registry announced (made from a linked run, or tagged for the
    experiment); False when it was linked already."""
    assert experiment.id is not None
    links = list(queries.of_experiment(session, experiment_id=experiment.id))
    if any(x.model == facts.model and x.version == facts.version for x in links):
        return False
    row = _attach_version(
        session, experiment, links, facts, label=f"models:/{facts.model}/{facts.version}", actor_id=actor_id
    )
    row.facts = platform.encode(facts)
    session.add(row)
    _after_change(
        session, experiment, actor_id=actor_id, detail=f"linked model {facts.model} v{facts.version}"
    )
    return True


def _after_change(session: Session, experiment: Experiment, *, actor_id: str, detail: str) -> Outcome:
    lifecycle.changed(
        session, experiment, actor_id=actor_id, action=v.AuditAction.EVIDENCE_LINKED, detail=detail
    )
    stale = staleness.after_evidence_change(session, experiment, actor_id=actor_id)
    moved = review.complete_if_reviewed(session, experiment, actor_id) if stale is None else None
    return Outcome(experiment, moved_to=moved, note=stale_note(stale))


# -- re-reading --------------------------------------------------------------------------------------


def to_read(session: Session, *, experiment_id: int) -> list[tuple[int, Link]]:
    """Each link of the experiment as MLflow is asked for it now: a version by its number (an
    alias linked names the version it named then)."""
    found = []
    for row in queries.of_experiment(session, experiment_id=experiment_id):
        assert row.id is not None
        if row.model is None:
            found.append((row.id, Link(LinkKind.RUN, run_id=row.run_id)))
        else:
            found.append((row.id, Link(LinkKind.MODEL_VERSION, model=row.model, version=row.version)))
    return found


def record_reading(
    session: Session, *, experiment_id: int, readings: Mapping[int, Facts | PlatformError]
) -> list[str]:
    """Keep what MLflow said of each link (or why it could not say); when the values that
    decisions rest on changed, record it, update the thread and make those decisions stale.
    Returns what changed, for people."""
    experiment = experiment_queries.lock(session, experiment_id=experiment_id)
    if experiment is None:
        return []
    before = Evidence.of(session, experiment)
    now = utcnow()
    moved_facts = []
    for row in queries.of_experiment(session, experiment_id=experiment_id):
        reading = readings.get(row.id or 0)
        if reading is None:
            continue
        if isinstance(reading, PlatformError):
            gone = isinstance(reading, NotFound)
            row.read_error = ("gone from MLflow: " if gone else "") + str(reading)
            if gone:
                row.read_at = now  # no use asking again on every pass
        else:
            encoded = platform.encode(reading)
            if encoded != row.facts:
                moved_facts.append(row)
            row.facts, row.read_at, row.read_error = encoded, now, None
        session.add(row)
    if not moved_facts:
        return []
    session.flush()
    changes = Evidence.of(session, experiment).changes_since(before) or [
        f"{row.label} re-read" for row in moved_facts
    ]
    lifecycle.changed(
        session,
        experiment,
        actor_id=v.SCHEDULER,
        action=v.AuditAction.EVIDENCE_READ,
        detail="; ".join(changes),
    )
    if staleness.after_evidence_change(session, experiment, actor_id=v.SCHEDULER) is None:
        review.complete_if_reviewed(session, experiment, v.SCHEDULER)
    return changes


def read_due(session: Session, *, every: timedelta, now: datetime) -> int:
    """Queue the re-read of each waiting experiment whose links were last read `every` ago or
    more; the reads themselves happen in the delivery workers, never in the scheduler's pass."""
    due = queries.due_for_reading(
        session, statuses=READ_STATUSES, read_before=now - every, limit=READS_PER_PASS
    )
    for experiment in due:
        delivery.read_evidence(session, experiment)
    return len(due)
