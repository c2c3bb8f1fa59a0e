"""What a decision rests on: an experiment's evidence, as one snapshot.

The evidence is what reviewers and approvers look at: the artifacts, the recorded metrics, the
review checklist, the success criteria, and the latest values of the candidate and baseline runs
linked in the ML platform. Each review decision and each sign-off keeps the snapshot it was made on (its
readable copy, in the decision's row) and names it by digest in the audit trail, in the same
transaction as the decision: `/experiment history` says what each decision was made on, and a
later change can be told from the evidence a decision saw.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlmodel import Session

from storage import experiments as queries
from storage import links as link_queries
from storage.models import Experiment
from workflow import delivery
from workflow import facts as platform
from workflow import vocabulary as v

# A linked run as decisions see it: its role, name, id and metrics by name.
Run = tuple[str, str, str, tuple[tuple[str, float], ...]]

DIGEST_CHARS = 12


@dataclass(frozen=True)
class Evidence:
    artifacts: str | None
    metrics: tuple[tuple[str, float], ...]  # by name
    ticked: tuple[str, ...]  # checklist keys, in the checklist's order
    runs: tuple[Run, ...] = ()  # the candidate and baseline runs, candidate first
    criteria: str | None = None

    @classmethod
    def of(cls, session: Session, experiment: Experiment) -> Evidence:
        """The experiment's evidence as it is now, in this transaction."""
        assert experiment.id is not None
        metrics = queries.metrics(session, experiment_id=experiment.id)
        ticked = {i.key for i in queries.checklist(session, experiment_id=experiment.id) if i.checked_by}
        links = link_queries.of_experiment(session, experiment_id=experiment.id)
        runs: list[Run] = []
        for role in (v.EvidenceRole.CANDIDATE, v.EvidenceRole.BASELINE):
            link = platform.with_role(links, role)
            run = platform.run_of(link) if link is not None else None
            if run is not None:
                runs.append((role.value, run.name, run.run_id, tuple(sorted(run.metrics.items()))))
        return cls(
            artifacts=experiment.artifacts,
            metrics=tuple(sorted((m.name, m.value) for m in metrics)),
            ticked=tuple(key for key in v.CHECKLIST if key in ticked),
            runs=tuple(runs),
            criteria=experiment.criteria,
        )

    def encode(self) -> str:
        """The readable copy kept with a decision: canonical JSON, so equal evidence encodes equal.
        Runs and criteria appear only when there are some, so evidence kept before they existed
        keeps its digest."""
        data: dict[str, object] = {
            "artifacts": self.artifacts,
            "metrics": dict(self.metrics),
            "checklist": list(self.ticked),
        }
        if self.runs:
            data["runs"] = [[role, name, run_id, dict(metrics)] for role, name, run_id, metrics in self.runs]
        if self.criteria:
            data["criteria"] = self.criteria
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, text: str) -> Evidence:
        data = json.loads(text)
        return cls(
            artifacts=data.get("artifacts"),
            metrics=tuple(sorted((str(k), float(x)) for k, x in (data.get("metrics") or {}).items())),
            ticked=tuple(str(key) for key in data.get("checklist") or ()),
            runs=tuple(
                (
                    str(role),
                    str(name),
                    str(run_id),
                    tuple(sorted((str(k), float(x)) for k, x in metrics.items())),
                )
                for role, name, run_id, metrics in data.get("runs") or ()
            ),
            criteria=data.get("criteria"),
        )

    @property
    def digest(self) -> str:
        """A short name for this evidence: the same evidence always has the same digest."""
        return hashlib.sha256(self.encode().encode()).hexdigest()[:DIGEST_CHARS]

    def departs_from(self, kept: Evidence) -> bool:
        """Whether a decision made on `kept` no longer holds for this evidence: the artifacts or a
        metric changed, or an item ticked then is unticked now. Ticking one more item only adds to
        what was decided on (the owner's last tick may complete the review), so it does not."""
        return (
            self.artifacts != kept.artifacts
            or self.metrics != kept.metrics
            or self.runs != kept.runs
            or self.criteria != kept.criteria
            or not set(kept.ticked) <= set(self.ticked)
        )

    def changes_since(self, earlier: Evidence, *, additions: bool = True) -> list[str]:
        """What changed from `earlier` to this, for people: `accuracy 0.91 → 0.84`, `artifacts
        changed`, `unticked Documentation complete`. Empty when nothing did. Without `additions`,
        items ticked since are left out (they do not unsettle a decision)."""
        changes: list[str] = []
        if self.artifacts != earlier.artifacts:
            changes.append("artifacts changed")
        changes += _metric_changes(dict(earlier.metrics), dict(self.metrics))
        if self.criteria != earlier.criteria:
            changes.append(f"criteria {earlier.criteria or 'none'} → {self.criteria or 'none'}")
        before_runs = {run[0]: run for run in earlier.runs}
        for role, name, run_id, metrics in self.runs:
            old = before_runs.pop(role, None)
            if old is None:
                changes.append(f"{role} run {name} linked")
            elif old[2] != run_id:
                changes.append(f"{role} run {old[1]} → {name}")
            else:
                changes += _metric_changes(dict(old[3]), dict(metrics), prefix=f"run {name}: ")
        changes += [f"{role} run {old[1]} unlinked" for role, old in before_runs.items()]
        for key in v.CHECKLIST:
            if key in earlier.ticked and key not in self.ticked:
                changes.append(f"unticked {v.CHECKLIST[key]}")
            elif additions and key in self.ticked and key not in earlier.ticked:
                changes.append(f"ticked {v.CHECKLIST[key]}")
        return changes


def _metric_changes(before: dict[str, float], now: dict[str, float], *, prefix: str = "") -> list[str]:
    changes = []
    for name in sorted(before.keys() | now.keys()):
        old, new = before.get(name), now.get(name)
        if old == new:
            continue
        if old is None:
            changes.append(f"{prefix}{name} recorded: {new:g}")
        elif new is None:
            changes.append(f"{prefix}{name} removed (was {old:g})")
        else:
            changes.append(f"{prefix}{name} {old:g} → {new:g}")
    return changes


def read_soon(session: Session, experiment: Experiment) -> None:
    """Queue re-reading the experiment's runs and versions in the ML platform, if it links any:
    at submit, at each review decision and sign-off, so what is shown and decided on is fresh."""
    assert experiment.id is not None
    if link_queries.of_experiment(session, experiment_id=experiment.id):
        delivery.read_evidence(session, experiment)
