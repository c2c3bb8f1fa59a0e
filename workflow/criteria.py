"""Success criteria, declared up front: `accuracy>=0.90 latency_ms<=500`.

With criteria, the checklist item *Model performance meets threshold* is computed, not ticked:
each criterion is checked against the candidate run's latest value in the ML platform, or the
metric recorded with `/experiment metric` where no run is linked.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from workflow.errors import InvalidInput
from workflow.numbers import finite

MAX_CRITERIA = 10
MAX_CHARS = 500
EXAMPLE = "`accuracy>=0.90 latency_ms<=500`"
# The checklist item the criteria decide.
COMPUTED_ITEM: Final = "model_performance"

OPERATORS: Final[dict[str, Callable[[float, float], bool]]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_CRITERION = re.compile(r"^([A-Za-z][A-Za-z0-9_.\-/]{0,63})\s*(>=|<=|>|<)\s*(\S+)$")


@dataclass(frozen=True)
class Criterion:
    metric: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.threshold:g}"

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)


@dataclass(frozen=True)
class Check:
    """One criterion against the evidence: its value, where the value came from, and whether it
    passes (None: no value yet)."""

    criterion: Criterion
    value: float | None
    source: str | None  # `run xgb-1`, `recorded`

    @property
    def passed(self) -> bool | None:
        return None if self.value is None else self.criterion.holds(self.value)


def parse(text: str) -> tuple[Criterion, ...]:
    """`accuracy>=0.90 latency_ms<=500` (spaces or commas between) → criteria; empty text → ()."""
    text = text.strip()
    if len(text) > MAX_CHARS:
        raise InvalidInput(f"The criteria are {len(text)} characters; keep them to {MAX_CHARS}.")
    # `accuracy >= 0.9` is written with spaces around the operator as often as without.
    text = re.sub(r"\s*(>=|<=|>|<)\s*", r"\1", text)
    tokens = [t for t in re.split(r"[\s,]+", text) if t]
    if len(tokens) > MAX_CRITERIA:
        raise InvalidInput(f"At most {MAX_CRITERIA} criteria.")
    found: dict[str, Criterion] = {}
    for token in tokens:
        match = _CRITERION.match(token)
        if not match:
            raise InvalidInput(f"`{token[:40]}` is not `metric>=value` (or `<=`, `>`, `<`), e.g. {EXAMPLE}.")
        metric, op, raw = match.groups()
        threshold = finite(raw, token=token)
        if metric in found:
            raise InvalidInput(f"`{metric}` has two criteria; give one per metric.")
        found[metric] = Criterion(metric, op, threshold)
    return tuple(found.values())


def render(criteria: Sequence[Criterion]) -> str | None:
    """The canonical text stored and shown: None for no criteria."""
    return " ".join(str(c) for c in criteria) or None


def check(
    criteria: Sequence[Criterion],
    *,
    run: Mapping[str, float] | None,
    run_name: str | None,
    recorded: Mapping[str, float],
) -> list[Check]:
    """Each criterion against the candidate run's values when a run is linked, else the recorded
    metrics."""
    checks = []
    for criterion in criteria:
        if run is not None:
            value, source = run.get(criterion.metric), f"run {run_name}"
        else:
            # `/experiment metric` keeps names in lower case; MLflow keeps them as logged.
            value, source = recorded.get(criterion.metric.lower()), "recorded"
        checks.append(Check(criterion, value, source if value is not None else None))
    return checks


def all_pass(checks: Sequence[Check]) -> bool:
    return all(c.passed for c in checks)


def failing(checks: Sequence[Check]) -> list[str]:
    """What keeps the criteria from passing, one phrase each: `accuracy 0.87 (needs >=0.9)`."""
    phrases = []
    for c in checks:
        if c.value is None:
            phrases.append(
                f"{c.criterion.metric}: no value yet (needs {c.criterion.op}{c.criterion.threshold:g})"
            )
        elif not c.passed:
            phrases.append(
                f"{c.criterion.metric} {c.value:g} (needs {c.criterion.op}{c.criterion.threshold:g})"
            )
    return phrases
