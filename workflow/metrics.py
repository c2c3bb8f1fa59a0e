"""Recording an experiment's metrics: `accuracy=0.91 latency_ms=420`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlmodel import Session

from storage import experiments as queries
from storage import roles
from storage.models import Metric
from storage.types import utcnow
from workflow import lifecycle, staleness
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed
from workflow.experiments import get, ref
from workflow.numbers import finite
from workflow.outcome import Outcome

MAX_PER_COMMAND = 10
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
EXAMPLE = "`/experiment metric EXP-1 accuracy=0.91 latency_ms=420`"


def parse_metrics(tokens: Sequence[str]) -> dict[str, float]:
    """`["accuracy=0.91", "latency_ms=420"]` → {"accuracy": 0.91, "latency_ms": 420.0}."""
    if not tokens:
        raise InvalidInput(f"Give at least one `name=value`, e.g. {EXAMPLE}.")
    if len(tokens) > MAX_PER_COMMAND:
        raise InvalidInput(f"At most {MAX_PER_COMMAND} metrics at a time.")
    parsed: dict[str, float] = {}
    for token in tokens:
        name, sep, raw = token.partition("=")
        name = name.strip().lower()
        if not sep or not _NAME.match(name):
            raise InvalidInput(
                f"`{token[:40]}` is not `name=value`; names are lowercase letters, digits and `_` "
                f"(at most 40), e.g. {EXAMPLE}."
            )
        if raw.strip().endswith("%"):
            # 91% and 0.91 would land on different scales and skew the alert thresholds.
            raise InvalidInput(f"Write `{token[:40]}` as a fraction, e.g. `{name}=0.91` for 91%.")
        parsed[name] = finite(raw, token=token)
    return parsed


def stale_note(stale: staleness.Stale | None) -> str | None:
    """For whoever changed the evidence: what their change made stale."""
    if stale is None:
        return None
    return (
        f"This made earlier decisions stale ({stale.summary()}); the thread tells the people who gave them."
    )


def record(
    session: Session, *, team_id: str, number: int, actor_id: str, values: dict[str, float]
) -> Outcome:
    """Record or update metrics; the owner and anyone holding a team role may."""
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    if actor_id != experiment.owner_id and not roles.roles_of(session, team_id=team_id, user_id=actor_id):
        raise NotAllowed(
            f"Only the owner of {ref(number)} or someone holding a team role (`/aiteam roles`) may record "
            "its metrics."
        )
    if experiment.status in (v.Status.REJECTED, v.Status.WITHDRAWN):
        raise lifecycle.refuse(experiment, f"record metrics for {ref(number)}")
    assert experiment.id is not None
    existing = {m.name: m for m in queries.metrics(session, experiment_id=experiment.id)}
    changes = []
    now = utcnow()
    for name, value in values.items():
        metric = existing.get(name)
        if metric is None:
            metric = Metric(
                team_id=team_id, experiment_id=experiment.id, name=name, value=value, recorded_by=actor_id
            )
            changes.append(f"{name}={value:g}")
        elif metric.value != value:
            changes.append(f"{name}: {metric.value:g} → {value:g}")
            metric.value, metric.recorded_by, metric.recorded_at = value, actor_id, now
        else:
            continue
        session.add(metric)
    if not changes:
        return Outcome(experiment, changed=False, note="Those values are already recorded.")
    # After production the evidence no longer decides anything: recorded as post-launch.
    post_launch = "post-launch: " if experiment.status == v.Status.PRODUCTION else ""
    lifecycle.changed(
        session,
        experiment,
        actor_id=actor_id,
        action=v.AuditAction.METRICS,
        detail=post_launch + ", ".join(changes),
    )
    stale = staleness.after_evidence_change(session, experiment, actor_id=actor_id)
    return Outcome(experiment, note=stale_note(stale))
