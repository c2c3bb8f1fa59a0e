"""Sign-off requests expire: one not completed within `APPROVAL_EXPIRES_DAYS` closes at the next
scheduler pass. Its buttons go, the thread and the card say it expired and how to ask again, the
experiment returns to `reviewed`, and the sign-offs already given expire with it.

Each expiry is claimed like a reminder: the step locks the experiment and checks it still waits,
so two passes at the same moment expire it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import experiments as queries
from workflow import delivery, lifecycle
from workflow import vocabulary as v


def due(session: Session, *, now: datetime, after: timedelta) -> Sequence[int]:
    return queries.signoff_requests_before(session, before=now - after)


def expire(session: Session, experiment_id: int, *, now: datetime, after: timedelta) -> bool:
    """Expire the experiment's sign-off request if it still waits since before `now - after`."""
    experiment = queries.lock(session, experiment_id=experiment_id)
    if experiment is None or experiment.status != v.Status.APPROVED:
        return False
    if experiment.status_changed_at > now - after:
        return False
    days = after.days if after >= timedelta(days=1) else None
    assert experiment.id is not None
    for approval in queries.approvals(session, experiment_id=experiment.id):
        session.delete(approval)
    how_long = f"after {days} days" if days is not None else "unanswered"
    experiment.signoff_note = f"it expired {how_long} without all three sign-offs"
    delivery.notice(session, experiment, delivery.RequestExpired(v.SCHEDULER, experiment.signoff_note))
    delivery.tell_owner(
        session, experiment, delivery.News.EXPIRED, actor_id=v.SCHEDULER, detail=experiment.signoff_note
    )
    lifecycle.move(
        session,
        experiment,
        v.Status.REVIEWED,
        actor_id=v.SCHEDULER,
        detail=f"sign-off request {experiment.signoff_note}",
    )
    return True
