"""Typed references to what a card, a click, a delivery or an outcome is about.

A `Ref` names one thing in a workspace by its kind and its id: for an experiment the number
people see (`EXP-12` is `Ref(Subject.EXPERIMENT, 12)`), for a project its row id. Adding a third
kind of card is one more `Subject` and the module that handles it, not edits wherever an
experiment was assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# How people see and write an experiment's id: `EXP-12`.
EXPERIMENT_PREFIX = "EXP-"
# An experiment's id where it is mentioned in someone's text (any case); group 1 is its number.
MENTIONED_EXPERIMENT = re.compile(rf"\b{EXPERIMENT_PREFIX}(\d{{1,9}})\b", re.IGNORECASE)


def ref(number: int) -> str:
    """The id people see for the experiment numbered `number`: `EXP-12`."""
    return f"{EXPERIMENT_PREFIX}{number}"


class Subject(StrEnum):
    """The kinds of thing that have a card in Slack."""

    EXPERIMENT = "experiment"
    PROJECT = "project"


@dataclass(frozen=True)
class Ref:
    kind: Subject
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def experiment(cls, number: int) -> Ref:
        return cls(Subject.EXPERIMENT, number)

    @classmethod
    def project(cls, project_id: int) -> Ref:
        return cls(Subject.PROJECT, project_id)

    @classmethod
    def parse(cls, text: str) -> Ref | None:
        """`project:3` → Ref(PROJECT, 3); a bare number is an experiment (what cards posted
        before projects carry). Anything else → None."""
        kind, _, key = text.rpartition(":")
        if not key.isdigit():
            return None
        if not kind:
            return cls(Subject.EXPERIMENT, int(key))
        try:
            return cls(Subject(kind), int(key))
        except ValueError:
            return None
