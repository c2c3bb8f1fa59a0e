"""Cards by reference: one place that knows which module brings which kind of card up to date."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from workflow import experiments
from workflow.refs import Ref, Subject

# Queue showing the card of the referenced thing as it is now (after a refused click that
# Slack drew anyway). One entry per kind of card.
_REDRAW: dict[Subject, Callable[[Session, str, int], None]] = {
    Subject.EXPERIMENT: lambda session, team_id, key: experiments.redraw(
        session, team_id=team_id, number=key
    ),
}


def redraw(session: Session, *, team_id: str, ref: Ref) -> None:
    _REDRAW[ref.kind](session, team_id, ref.id)
