"""What the ML platform said of a linked run or model version, as kept in `EvidenceLink.facts`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from mlplatform.client import Facts, RunFacts, VersionFacts
from storage.models import EvidenceLink
from workflow import vocabulary as v


def encode(facts: Facts) -> str:
    kind = "run" if isinstance(facts, RunFacts) else "version"
    return json.dumps({"kind": kind, **asdict(facts)}, sort_keys=True, separators=(",", ":"))


def decode(text: str | None) -> Facts | None:
    if not text:
        return None
    data = json.loads(text)
    kind = data.pop("kind", None)
    if kind == "run":
        data["metrics"] = {str(k): float(x) for k, x in (data.get("metrics") or {}).items()}
        return RunFacts(**data)
    data["aliases"] = tuple(data.get("aliases") or ())
    return VersionFacts(**data)


def run_of(link: EvidenceLink) -> RunFacts | None:
    facts = decode(link.facts)
    return facts if isinstance(facts, RunFacts) else None


def version_of(link: EvidenceLink) -> VersionFacts | None:
    facts = decode(link.facts)
    return facts if isinstance(facts, VersionFacts) else None


def with_role(links: Sequence[EvidenceLink], role: v.EvidenceRole) -> EvidenceLink | None:
    """The link holding `role` (there is at most one candidate and one baseline)."""
    return next((link for link in links if link.role == role), None)
