"""The model registry's news, as MLflow's webhooks bring it, and what the team's approvals make
of it.

- A version registered from a run an experiment links, or tagged `aiteam.experiment=EXP-4`, is
  linked to that experiment and announced in its thread.
- A guarded alias (`production`, `champion`) set on a version is *deployed* when its experiment
  is in production with its three sign-offs current, and otherwise *set outside approval*: an
  alert in the experiment's thread, or in the alert channel for a version no experiment owns,
  naming the security and technical-lead holders, and a record in the audit trail. The alias
  the bot sets itself (`MLFLOW_PROMOTE_ALIAS`) is set only on such an experiment, so it raises
  none.
- A guarded alias removed from a production experiment's version is noted in its thread.

Each delivery is handled once: its id is kept in the transaction of what it changed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from mlplatform.client import VersionFacts
from mlplatform.webhooks import Event
from storage import audit, roles, webhooks
from storage import links as queries
from storage.models import EvidenceLink, Experiment, Workspace
from workflow import delivery, links
from workflow import facts as platform
from workflow import vocabulary as v
from workflow.delivery import RegistryNews, RegistryNotice
from workflow.experiments import ref
from workflow.promotion import missing_for_production, registry_version

TAG = "aiteam.experiment"
# Who is alerted when a guarded alias is set outside approval.
GUARDS = (v.Role.SECURITY, v.Role.TECHNICAL_LEAD)
ACTOR = "mlflow"  # what MLflow's webhooks did, in the audit trail
_TAGGED = re.compile(r"^(?:(T[A-Z0-9]+):)?EXP-(\d+)$", re.IGNORECASE)


class Repeated(Exception):
    """This delivery was handled already."""


@dataclass(frozen=True)
class Registry:
    """The settings the registry's news is judged by."""

    guarded: Collection[str]  # MLFLOW_GUARDED_ALIASES
    alert_channel: str | None = None  # MLFLOW_ALERT_CHANNEL: `C…`, or `T…:C…` with several workspaces


def handle(session: Session, event: Event, registry: Registry) -> str:
    """Act on one webhook delivery, in the caller's transaction; a line saying what it did.
    Raises Repeated for a delivery id seen before."""
    if not webhooks.remember(session, delivery_id=event.delivery_id, event=event.name[:64]):
        raise Repeated(event.delivery_id)
    data = event.data
    model, version = str(data.get("name") or ""), str(data.get("version") or "") or None
    if event.name == "model_version.created" and model and version:
        return _created(session, model, version, str(data.get("run_id") or ""), data.get("tags") or {})
    if event.name == "model_version_tag.set" and data.get("key") == TAG and model and version:
        return _tagged(session, model, version, str(data.get("value") or ""))
    alias = str(data.get("alias") or "")
    if alias in registry.guarded and model:
        if event.name == "model_version_alias.created" and version:
            return _alias_set(session, registry, model, version, alias)
        if event.name == "model_version_alias.deleted":
            return _alias_removed(session, model, alias)
    return f"ignored {event.name or 'an event'} ({event.delivery_id})"


def _created(session: Session, model: str, version: str, run_id: str, tags: object) -> str:
    linked = []
    if run_id:
        for link, experiment in queries.with_run(session, run_id=run_id):
            if link.model is None and experiment.status not in v.CLOSED_STATUSES:
                linked += _link(session, experiment, model, version, run_id)
    tag = tags.get(TAG) if isinstance(tags, dict) else None
    if tag:
        return _tagged(session, model, version, str(tag), run_id=run_id or None, already=linked)
    return f"model {model} v{version}: " + (", ".join(linked) or "no experiment links its run")


def _tagged(
    session: Session,
    model: str,
    version: str,
    value: str,
    *,
    run_id: str | None = None,
    already: list[str] | None = None,
) -> str:
    experiment = _tagged_experiment(session, value)
    linked = list(already or [])
    if experiment is not None and experiment.status not in v.CLOSED_STATUSES:
        linked += _link(session, experiment, model, version, run_id)
    return f"model {model} v{version} tagged {value[:20]}: " + (", ".join(linked) or "no open experiment")


def _tagged_experiment(session: Session, value: str) -> Experiment | None:
    """`EXP-4` (one workspace), or `T0123:EXP-4` (any)."""
    match = _TAGGED.match(value.strip())
    if not match:
        return None
    team_id = match.group(1)
    if team_id is None:
        teams = session.exec(select(Workspace.team_id).limit(2)).all()
        if len(teams) != 1:
            return None  # ambiguous with several workspaces: the tag must name the team
        team_id = teams[0]
    return session.exec(
        select(Experiment).where(
            Experiment.team_id == team_id.upper(), Experiment.number == int(match.group(2))
        )
    ).first()


def _link(
    session: Session, experiment: Experiment, model: str, version: str, run_id: str | None
) -> list[str]:
    facts = VersionFacts(model=model, version=version, status="READY", run_id=run_id)
    if not links.attach_version(session, experiment, facts, actor_id=ACTOR):
        return []
    delivery.notice(session, experiment, RegistryNotice(ACTOR, RegistryNews.VERSION_LINKED, model, version))
    # The announcement has what the webhook said; the read brings its status, aliases and link.
    delivery.read_evidence(session, experiment)
    return [f"linked to {ref(experiment.number)} ({experiment.team_id})"]


def _alias_set(session: Session, registry: Registry, model: str, version: str, alias: str) -> str:
    owners = [(link, e) for link, e in queries.with_version(session, model=model, version=version)]
    if not owners:
        target = _alert_target(session, registry.alert_channel)
        if target is None:
            return f"{alias} set on {model} v{version}, no experiment's; no MLFLOW_ALERT_CHANNEL to tell"
        team_id, channel = target
        people = _guards(session, team_id)
        delivery.registry_alert(
            session,
            team_id=team_id,
            channel_id=channel,
            alert=RegistryNotice(ACTOR, RegistryNews.OUTSIDE_APPROVAL, model, version, alias, people),
        )
        audit.record(
            session,
            team_id=team_id,
            experiment_id=None,
            actor_id=ACTOR,
            action=v.AuditAction.ALIAS_OUTSIDE_APPROVAL,
            detail=f"{alias} on {model} v{version} (no experiment)",
        )
        return f"alert: {alias} set on {model} v{version}, which no experiment owns"
    said = []
    for link, experiment in owners:
        _note_alias(session, link, alias, present=True)
        approved = experiment.status == v.Status.PRODUCTION and not missing_for_production(
            session, experiment
        )
        what = f"{alias} on {model} v{version}"
        if approved:
            audit.record(
                session,
                team_id=experiment.team_id,
                experiment_id=experiment.id,
                actor_id=ACTOR,
                action=v.AuditAction.DEPLOYED,
                detail=what,
            )
            said.append(f"{ref(experiment.number)}: deployed")
            continue
        _tell(
            session,
            experiment,
            RegistryNotice(
                ACTOR,
                RegistryNews.OUTSIDE_APPROVAL,
                model,
                version,
                alias,
                _guards(session, experiment.team_id),
            ),
            action=v.AuditAction.ALIAS_OUTSIDE_APPROVAL,
            detail=f"{what} while {ref(experiment.number)} is {experiment.status}",
        )
        said.append(f"{ref(experiment.number)}: alert")
    return f"{alias} set on {model} v{version}: " + ", ".join(said)


def _alias_removed(session: Session, model: str, alias: str) -> str:
    said = []
    for link, experiment in queries.with_version(session, model=model):
        facts = platform.version_of(link)
        if facts is None or alias not in facts.aliases:
            continue
        _note_alias(session, link, alias, present=False)
        if experiment.status != v.Status.PRODUCTION:
            continue
        _tell(
            session,
            experiment,
            RegistryNotice(ACTOR, RegistryNews.ALIAS_REMOVED, model, link.version, alias),
            action=v.AuditAction.ALIAS_REMOVED,
            detail=f"{alias} removed from {model} v{link.version}",
        )
        said.append(f"{ref(experiment.number)}")
    return f"{alias} removed from {model}: " + (", ".join(said) or "no production experiment had it")


def _tell(
    session: Session, experiment: Experiment, notice: RegistryNotice, *, action: v.AuditAction, detail: str
) -> None:
    """Say it in the experiment's thread, and record it, in one transaction."""
    delivery.notice(session, experiment, notice)
    audit.record(
        session,
        team_id=experiment.team_id,
        experiment_id=experiment.id,
        actor_id=notice.actor_id,
        action=action,
        detail=detail,
    )


def _note_alias(session: Session, link: EvidenceLink, alias: str, *, present: bool) -> None:
    """Keep the link's copy of its aliases true until the next read."""
    facts = platform.version_of(link)
    if facts is None:
        return
    aliases = set(facts.aliases) | {alias} if present else set(facts.aliases) - {alias}
    link.facts = platform.encode(
        VersionFacts(
            facts.model, facts.version, facts.status, facts.run_id, tuple(sorted(aliases)), facts.url
        )
    )
    session.add(link)


def _guards(session: Session, team_id: str) -> tuple[str, ...]:
    people: dict[str, None] = {}
    for role in GUARDS:
        people |= dict.fromkeys(roles.holders(session, team_id=team_id, role=role))
    return tuple(people)


def _alert_target(session: Session, setting: str | None) -> tuple[str, str] | None:
    """(team, channel) of MLFLOW_ALERT_CHANNEL: `T…:C…`, or `C…` in the one workspace there is."""
    if not setting:
        return None
    team_id, _, channel = setting.rpartition(":")
    if team_id:
        return team_id, channel
    teams = session.exec(select(Workspace.team_id).order_by(col(Workspace.team_id)).limit(2)).all()
    return (teams[0], channel) if len(teams) == 1 else None


# -- the alias the bot sets itself (MLFLOW_PROMOTE_ALIAS) ---------------------------------------------


def alias_target(session: Session, *, experiment_id: int) -> tuple[str, str] | str:
    """(model, version) to set the promote alias on, or why there is none to set now."""
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        return "the experiment was deleted"
    if experiment.status != v.Status.PRODUCTION or missing_for_production(session, experiment):
        return f"{ref(experiment.number)} is no longer in production with its sign-offs"
    link = registry_version(queries.of_experiment(session, experiment_id=experiment_id))
    if link is None or link.model is None or link.version is None:
        return f"{ref(experiment.number)} links no model version"
    return link.model, link.version


def alias_set(
    session: Session, *, experiment_id: int, model: str, version: str, alias: str, actor_id: str | None
) -> None:
    """Record the alias the bot set, and say so in the thread."""
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        return
    for link in queries.of_experiment(session, experiment_id=experiment_id):
        if link.model == model and link.version == version:
            _note_alias(session, link, alias, present=True)
    _tell(
        session,
        experiment,
        RegistryNotice(actor_id or ACTOR, RegistryNews.DEPLOYED, model, version, alias),
        action=v.AuditAction.ALIAS_SET,
        detail=f"{alias} on {model} v{version}",
    )
