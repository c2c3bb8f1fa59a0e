"""Flow insights: where the team's work waits, computed from the audit trail.

- **Stages.** A stage's sample is, per experiment, the time from the first event that starts it
  to the first event that ends it: proposed → submitted (its proposal to its first submission),
  submitted → reviewed, reviewed → approved (promotion asked), approved → production. A sample
  belongs to the window its end falls in; its start may be earlier.
- **Review waits.** From a submission (or resubmission) to a reviewer's decision on one review
  (approve, request changes, reject), per review kind and per reviewer. A decision made while
  the experiment was back with its owner (a reject after changes were requested) waited on the
  owner, not on review, and is left out.
- **Figures.** The median is the middle sample (the mean of the two middle ones for an even
  count); the 80th percentile is by nearest rank: the ⌈0.8·n⌉-th smallest sample. With fewer
  than `MIN_SAMPLES` samples there is no figure, only the count.
- **Counts.** Experiments proposed, and closed (production, rejected, withdrawn), in the window;
  the share of those closed that reached production. Work in progress and the longest-waiting
  experiment are the experiments' state now.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import groupby
from typing import Final

from sqlmodel import Session

from storage import agenda, audit
from storage.models import AuditEvent, Experiment
from workflow import vocabulary as v
from workflow.errors import InvalidInput

MIN_SAMPLES: Final = 3
P80: Final = 80

# `/aiteam insights [window]`: how far back each window reaches (None: the whole history).
WINDOWS: Final[dict[str, timedelta | None]] = {
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "all": None,
}
DEFAULT_WINDOW: Final = "30d"
# App Home's compact section.
HOME_WINDOW: Final = "30d"

_SUBMITTED: Final = v.Step.status(v.Status.IN_REVIEW)
_SENT_BACK: Final = v.Step.status(v.Status.CHANGES_REQUESTED)
_REJECTED: Final = v.Step.status(v.Status.REJECTED)
_PRODUCTION: Final = v.Step.status(v.Status.PRODUCTION)
_CLOSED: Final = frozenset(v.Step.status(s) for s in v.CLOSED_STATUSES)
_REVIEW_KINDS: Final = frozenset(v.ReviewKind)
_APPROVALS: Final[dict[str, v.ReviewKind]] = {v.Step.review(kind): kind for kind in v.ReviewKind}


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    start: str  # audit action
    end: str


STAGES: Final = (
    Stage("proposed_submitted", "proposed → submitted", v.AuditAction.PROPOSED, _SUBMITTED),
    Stage("submitted_reviewed", "submitted → reviewed", _SUBMITTED, v.Step.status(v.Status.REVIEWED)),
    Stage(
        "reviewed_approved",
        "reviewed → approved",
        v.Step.status(v.Status.REVIEWED),
        v.Step.status(v.Status.APPROVED),
    ),
    Stage("approved_production", "approved → production", v.Step.status(v.Status.APPROVED), _PRODUCTION),
)
# Every action the figures read: one query fetches them all.
TRAIL_ACTIONS: Final = frozenset(
    {
        *(s.start for s in STAGES),
        *(s.end for s in STAGES),
        *_CLOSED,
        _SENT_BACK,
        *_APPROVALS,
    }
)


def nearest_rank(ordered: Sequence[timedelta], percent: int) -> timedelta:
    """The `percent`th percentile of sorted samples by nearest rank: the ⌈p/100·n⌉-th smallest."""
    if not ordered:
        raise ValueError("no samples")
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Spread:
    """Samples of one duration; figures only once there are `MIN_SAMPLES`."""

    samples: tuple[timedelta, ...] = ()

    @classmethod
    def of(cls, samples: Iterable[timedelta]) -> Spread:
        return cls(tuple(sorted(samples)))

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def enough(self) -> bool:
        return self.n >= MIN_SAMPLES

    @property
    def median(self) -> timedelta | None:
        if not self.enough:
            return None
        return timedelta(seconds=statistics.median(s.total_seconds() for s in self.samples))

    @property
    def p80(self) -> timedelta | None:
        return nearest_rank(self.samples, P80) if self.enough else None


def _slowest(spreads: dict[str, Spread]) -> str | None:
    timed = {key: s.median for key, s in spreads.items() if s.median is not None}
    return max(timed, key=lambda key: timed[key]) if timed else None


@dataclass(frozen=True)
class Flow:
    since: datetime | None  # None: the whole history
    until: datetime
    proposed: int = 0
    closed: int = 0
    shipped: int = 0  # closed by reaching production
    stages: tuple[tuple[Stage, Spread], ...] = ()
    to_production: Spread = Spread()  # proposal to production
    reviews: Spread = Spread()  # every review decision's wait
    by_kind: dict[str, Spread] = field(default_factory=dict)
    by_reviewer: dict[str, Spread] = field(default_factory=dict)
    in_progress: dict[str, int] = field(default_factory=dict)
    oldest: Experiment | None = None  # open, in its status the longest

    @property
    def slowest_kind(self) -> str | None:
        """The review kind with the longest median wait, among those with enough samples."""
        return _slowest(self.by_kind)

    @property
    def slowest_reviewer(self) -> str | None:
        return _slowest(self.by_reviewer)

    @property
    def open_total(self) -> int:
        return sum(self.in_progress.values())


@dataclass
class _Tally:
    proposed: int = 0
    closed: int = 0
    shipped: int = 0
    stages: dict[str, list[timedelta]] = field(default_factory=lambda: defaultdict(list))
    to_production: list[timedelta] = field(default_factory=list)
    by_kind: dict[str, list[timedelta]] = field(default_factory=lambda: defaultdict(list))
    by_reviewer: dict[str, list[timedelta]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True)
class _Inside:
    since: datetime | None
    until: datetime

    def __call__(self, moment: datetime) -> bool:
        return (self.since is None or moment >= self.since) and moment < self.until


def _decided(event: AuditEvent) -> str | None:
    """The review kind this event decides, if it is a review decision."""
    if event.action in _APPROVALS:
        return _APPROVALS[event.action]
    if event.action in (_SENT_BACK, _REJECTED) and event.gate in _REVIEW_KINDS:
        return event.gate
    return None


def _tally_experiment(events: Sequence[AuditEvent], inside: _Inside, tally: _Tally) -> None:
    first: dict[str, datetime] = {}
    submitted_at: datetime | None = None
    for event in events:
        at = event.created_at
        first.setdefault(event.action, at)
        if event.action == _SUBMITTED:
            submitted_at = at
        kind = _decided(event)
        if kind is not None and submitted_at is not None and inside(at):
            tally.by_kind[kind].append(at - submitted_at)
            tally.by_reviewer[event.actor_id].append(at - submitted_at)
        if event.action == _SENT_BACK:
            submitted_at = None  # back with the owner until resubmitted
        if event.action == v.AuditAction.PROPOSED and inside(at):
            tally.proposed += 1
        if event.action in _CLOSED and inside(at):
            tally.closed += 1
            tally.shipped += event.action == _PRODUCTION
    for stage in STAGES:
        start, end = first.get(stage.start), first.get(stage.end)
        if start is not None and end is not None and end >= start and inside(end):
            tally.stages[stage.key].append(end - start)
    proposed, produced = first.get(v.AuditAction.PROPOSED), first.get(_PRODUCTION)
    if proposed is not None and produced is not None and inside(produced):
        tally.to_production.append(produced - proposed)


def compute(events: Iterable[AuditEvent], *, since: datetime | None, until: datetime) -> Flow:
    """The figures of [since, until) from audit events (any order; other actions are ignored)."""
    inside = _Inside(since, until)
    ordered = sorted(
        (e for e in events if e.experiment_id is not None and e.action in TRAIL_ACTIONS),
        key=lambda e: (e.experiment_id or 0, e.created_at, e.id or 0),
    )
    tally = _Tally()
    for _, trail in groupby(ordered, key=lambda e: e.experiment_id):
        _tally_experiment(list(trail), inside, tally)
    waits = [w for samples in tally.by_kind.values() for w in samples]
    return Flow(
        since=since,
        until=until,
        proposed=tally.proposed,
        closed=tally.closed,
        shipped=tally.shipped,
        stages=tuple((s, Spread.of(tally.stages.get(s.key, []))) for s in STAGES),
        to_production=Spread.of(tally.to_production),
        reviews=Spread.of(waits),
        by_kind={kind: Spread.of(tally.by_kind.get(kind, [])) for kind in v.ReviewKind},
        by_reviewer={who: Spread.of(samples) for who, samples in tally.by_reviewer.items()},
    )


def flow(session: Session, *, team_id: str, since: datetime | None, until: datetime) -> Flow:
    """The team's flow over [since, until), with its work in progress now."""
    events = audit.trail_of_experiments_moved(
        session, team_id=team_id, actions=TRAIL_ACTIONS, since=since, until=until
    )
    figures = compute(events, since=since, until=until)
    return replace(
        figures,
        in_progress=agenda.count_by_status(session, team_id=team_id, statuses=v.OPEN_STATUSES),
        oldest=agenda.longest_waiting(session, team_id=team_id, statuses=v.OPEN_STATUSES),
    )


def parse_window(text: str) -> str:
    """`30d`, `90d` or `all` (nothing: the default); anything else is refused, naming them."""
    window = text.strip().lower() or DEFAULT_WINDOW
    if window not in WINDOWS:
        raise InvalidInput(
            f"There is no insights window `{text.strip()[:20]}`. The windows are "
            + ", ".join(f"`{w}`" for w in WINDOWS)
            + f" (`/aiteam insights` alone is `{DEFAULT_WINDOW}`)."
        )
    return window


def window_start(window: str, now: datetime) -> datetime | None:
    span = WINDOWS[window]
    return None if span is None else now - span


def team_flow(session: Session, *, team_id: str, window: str, now: datetime) -> Flow:
    return flow(session, team_id=team_id, since=window_start(window, now), until=now)
