"""Bias checks: what an ethics reviewer checked, on what data, and what they found.

Recorded through the **Record bias checks** button under the ethics review in an experiment's
thread, by holders of `ethics_reviewer` only. Each is posted in the thread and shown in the review
message and on `/experiment show`. With `REQUIRE_BIAS_CHECK=true` the ethics review cannot be
approved until a check with result *passed* is recorded (`require_passed`); otherwise an approval
without one stands and the card says so.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlmodel import Session

from storage import bias_checks as queries
from storage.models import BiasCheck, Experiment
from workflow import delivery, lifecycle
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed
from workflow.experiments import get, ref
from workflow.permissions import require_role

CHECKS: Final = {
    "subgroup_performance": "Subgroup performance",
    "fairness_metric": "Fairness metric",
    "toxicity_harm": "Toxicity and harm",
    "privacy_pii": "Privacy and PII",
    "data_provenance": "Data provenance",
    "other": "Other",
}
PASSED: Final = queries.PASSED
CONCERNS: Final = "concerns"
RESULTS: Final = {PASSED: "Passed", CONCERNS: "Concerns"}
ROLE: Final = v.REVIEWER_ROLE[v.ReviewKind.ETHICS]
DATA_MAX_CHARS = 500
FINDINGS_MAX_CHARS = 2000

# The fields of the bias check modal, named for its errors.
CHECKS_FIELD, DATA, FINDINGS, RESULT = "checks", "data", "findings", "result"

_BROADCAST = re.compile(r"(?:@|<!)(?:channel|here|everyone)\b", re.IGNORECASE)
NO_BROADCAST = "Don't ping the whole channel (`@channel`, `@here`, `@everyone`) from a bias check."


class BiasCheckInvalid(InvalidInput):
    """What is wrong with each field of a bias check, by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Draft:
    checks: tuple[str, ...]
    data: str
    findings: str | None
    result: str


def validate(checks: Collection[str], data: str | None, findings: str | None, result: str | None) -> Draft:
    errors: dict[str, str] = {}
    chosen = tuple(key for key in CHECKS if key in set(checks))
    if not chosen or set(checks) - set(CHECKS):
        errors[CHECKS_FIELD] = "Tick the checks you ran."
    cleaned = (data or "").strip()
    if not cleaned:
        errors[DATA] = "Name the evaluation data or slice the checks ran on."
    elif len(cleaned) > DATA_MAX_CHARS:
        errors[DATA] = f"This is {len(cleaned)} characters; keep it to {DATA_MAX_CHARS}."
    elif _BROADCAST.search(cleaned):
        errors[DATA] = NO_BROADCAST
    found = (findings or "").strip()
    if len(found) > FINDINGS_MAX_CHARS:
        errors[FINDINGS] = f"This is {len(found)} characters; keep it to {FINDINGS_MAX_CHARS}."
    elif _BROADCAST.search(found):
        errors[FINDINGS] = NO_BROADCAST
    if result not in RESULTS:
        errors[RESULT] = "Choose passed or concerns."
    if errors:
        raise BiasCheckInvalid(errors)
    assert result is not None
    return Draft(chosen, cleaned, found or None, result)


def check_recorder(session: Session, experiment: Experiment, user_id: str) -> None:
    """Refuse anyone without `ethics_reviewer`, and an experiment not yet submitted."""
    require_role(session, experiment, user_id, ROLE, f"record bias checks on {ref(experiment.number)}")
    if experiment.status == v.Status.PROPOSED:
        raise NotAllowed(
            f"{ref(experiment.number)} is not submitted yet; bias checks go with its ethics review."
        )


def record(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    number: int,
    checks: Collection[str],
    data: str | None,
    findings: str | None,
    result: str | None,
    now: datetime,
) -> BiasCheck:
    """Store the checks, refresh the review message and post them in the experiment's thread."""
    experiment = get(session, team_id=team_id, number=number, for_update=True)
    check_recorder(session, experiment, user_id)
    draft = validate(checks, data, findings, result)
    assert experiment.id is not None
    stored = BiasCheck(
        team_id=team_id,
        experiment_id=experiment.id,
        reviewer_id=user_id,
        checks=",".join(draft.checks),
        data=draft.data,
        findings=draft.findings,
        result=draft.result,
        created_at=now,
    )
    session.add(stored)
    session.flush()
    lifecycle.changed(
        session,
        experiment,
        actor_id=user_id,
        action=v.AuditAction.BIAS_CHECK,
        detail=f"{RESULTS[draft.result].lower()}: {', '.join(CHECKS[c] for c in draft.checks)}",
    )
    assert stored.id is not None
    delivery.notice(session, experiment, delivery.BiasChecked(user_id, stored.id))
    return stored


def of_experiment(session: Session, experiment: Experiment) -> Sequence[BiasCheck]:
    assert experiment.id is not None
    return queries.of_experiment(session, experiment_id=experiment.id)


def has_passed(checks: Sequence[BiasCheck]) -> bool:
    return any(c.result == PASSED for c in checks)


def require_passed(session: Session, experiment: Experiment) -> None:
    """With REQUIRE_BIAS_CHECK: the ethics review is approved only after a passed check."""
    if not has_passed(of_experiment(session, experiment)):
        raise NotAllowed(
            f"You can't approve the ethics review of {ref(experiment.number)} yet: this workspace "
            "requires a recorded bias check with result *passed* first (REQUIRE_BIAS_CHECK). "
            "Press *Record bias checks* under the ethics review."
        )


def labels(check: BiasCheck) -> str:
    return ", ".join(CHECKS.get(key, key) for key in check.checks.split(",") if key)
