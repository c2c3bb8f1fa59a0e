"""What a decision rests on: an experiment's evidence, as one snapshot.

The evidence is what reviewers and approvers look at: the artifacts, the recorded metrics and the
review checklist. Each review decision and each sign-off keeps the snapshot it was made on (its
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
from storage.models import Experiment
from workflow import vocabulary as v

DIGEST_CHARS = 12


@dataclass(frozen=True)
class Evidence:
    artifacts: str | None
    metrics: tuple[tuple[str, float], ...]  # by name
    ticked: tuple[str, ...]  # checklist keys, in the checklist's order

    @classmethod
    def of(cls, session: Session, experiment: Experiment) -> Evidence:
        """The experiment's evidence as it is now, in this transaction."""
        assert experiment.id is not None
        metrics = queries.metrics(session, experiment_id=experiment.id)
        ticked = {i.key for i in queries.checklist(session, experiment_id=experiment.id) if i.checked_by}
        return cls(
            artifacts=experiment.artifacts,
            metrics=tuple(sorted((m.name, m.value) for m in metrics)),
            ticked=tuple(key for key in v.CHECKLIST if key in ticked),
        )

    def encode(self) -> str:
        """The readable copy kept with a decision: canonical JSON, so equal evidence encodes equal."""
        return json.dumps(
            {"artifacts": self.artifacts, "metrics": dict(self.metrics), "checklist": list(self.ticked)},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def decode(cls, text: str) -> Evidence:
        data = json.loads(text)
        return cls(
            artifacts=data.get("artifacts"),
            metrics=tuple(sorted((str(k), float(x)) for k, x in (data.get("metrics") or {}).items())),
            ticked=tuple(str(key) for key in data.get("checklist") or ()),
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
            or not set(kept.ticked) <= set(self.ticked)
        )

    def changes_since(self, earlier: Evidence, *, additions: bool = True) -> list[str]:
        """What changed from `earlier` to this, for people: `accuracy 0.91 → 0.84`, `artifacts
        changed`, `unticked Documentation complete`. Empty when nothing did. Without `additions`,
        items ticked since are left out (they do not unsettle a decision)."""
        changes: list[str] = []
        if self.artifacts != earlier.artifacts:
            changes.append("artifacts changed")
        before, now = dict(earlier.metrics), dict(self.metrics)
        for name in sorted(before.keys() | now.keys()):
            old, new = before.get(name), now.get(name)
            if old == new:
                continue
            if old is None:
                changes.append(f"{name} recorded: {new:g}")
            elif new is None:
                changes.append(f"{name} removed (was {old:g})")
            else:
                changes.append(f"{name} {old:g} → {new:g}")
        for key in v.CHECKLIST:
            if key in earlier.ticked and key not in self.ticked:
                changes.append(f"unticked {v.CHECKLIST[key]}")
            elif additions and key in self.ticked and key not in earlier.ticked:
                changes.append(f"ticked {v.CHECKLIST[key]}")
        return changes
