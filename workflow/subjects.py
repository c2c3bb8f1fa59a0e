"""The card-bearing subjects: one registration each, used by the shared click, outcome and
refusal code, so a new kind of card needs no edit there.

A subject's spec says which table holds it and which column its `Ref` carries (an experiment's
number, a project's row id), which columns hold the ts of the messages the bot keeps up to date
for it, how a refresh of its card is queued, and what failed for good about it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, SQLModel, select

from storage.experiments import Slot
from storage.models import Experiment, Project
from workflow import delivery
from workflow.delivery import Problem
from workflow.errors import NotFound
from workflow.refs import Ref, Subject, ref


@dataclass(frozen=True)
class SubjectSpec:
    model: type[SQLModel]
    key: str  # the column a Ref's id names
    messages: tuple[str, ...]  # the columns holding the ts of the messages kept up to date
    refresh: Callable[..., None]  # queue bringing its card up to date: (session, row, *, actor_id)
    problems: Callable[[Session, Any], Sequence[Problem]]  # what failed for good about it
    name: Callable[[Ref], str]  # how people name it: "EXP-12", "project 3"


SUBJECTS: dict[Subject, SubjectSpec] = {
    Subject.EXPERIMENT: SubjectSpec(
        model=Experiment,
        key="number",
        messages=tuple(slot.value for slot in Slot),
        refresh=delivery.refresh_experiment,
        problems=delivery.problems_of_experiment,
        name=lambda r: ref(r.id),
    ),
    Subject.PROJECT: SubjectSpec(
        model=Project,
        key="id",
        messages=("message_ts",),
        refresh=delivery.refresh_project,
        problems=delivery.problems_of_project,
        name=lambda r: f"project {r.id}",
    ),
}

_missing = set(Subject) - SUBJECTS.keys()
if _missing:  # a bug in this file, caught at import
    raise RuntimeError(f"subjects without a spec: {sorted(_missing)}")


def ref_of(row: SQLModel) -> Ref:
    """The Ref naming a subject's row."""
    for subject, spec in SUBJECTS.items():
        if isinstance(row, spec.model):
            return Ref(subject, int(getattr(row, spec.key)))
    raise TypeError(f"{type(row).__name__} has no card")


def find(session: Session, *, team_id: str, ref: Ref) -> Any:
    """The subject's row in this workspace; NotFound when there is none."""
    spec = SUBJECTS[ref.kind]
    model: Any = spec.model
    row = session.exec(
        select(model).where(model.team_id == team_id, getattr(model, spec.key) == ref.id)
    ).first()
    if row is None:
        raise NotFound(f"There is no {spec.name(ref)} in this workspace.")
    return row


def redraw(session: Session, *, team_id: str, ref: Ref) -> None:
    """Queue showing the subject's card (and thread) as it is, in full: after a refused click that
    Slack drew anyway, what was last sent is no longer what people see."""
    spec = SUBJECTS[ref.kind]
    row = find(session, team_id=team_id, ref=ref)
    channel_id = getattr(row, "channel_id", None)
    if channel_id is not None:
        posted = [getattr(row, column) for column in spec.messages]
        delivery.forget_sent(session, team_id=team_id, channel_id=channel_id, ts=[ts for ts in posted if ts])
    spec.refresh(session, row, actor_id=None)


def problems(session: Session, *, team_id: str, ref: Ref) -> Sequence[Problem]:
    return SUBJECTS[ref.kind].problems(session, find(session, team_id=team_id, ref=ref))
