"""What was last sent into the messages the bot keeps up to date, so that an update that would
change nothing is not sent: Slack's per-channel rate is spent on what changed.

The digest is of the rendered payload (the bot computes it); it is remembered only after Slack
took the post or update, in the delivery's outcome transaction. Forgetting a message's digest
makes its next update go out in full: after a refused click that Slack already drew, the
message must be redrawn even though the render did not change.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session

from storage import messages


def sent_digests(session: Session, *, team_id: str, channel_id: str, ts: Collection[str]) -> dict[str, str]:
    return messages.digests(session, team_id=team_id, channel_id=channel_id, ts=ts)


def remember_sent(session: Session, *, team_id: str, channel_id: str, ts: str, digest: str) -> None:
    messages.remember(session, team_id=team_id, channel_id=channel_id, ts=ts, digest=digest)


def forget_sent(session: Session, *, team_id: str, channel_id: str, ts: Collection[str]) -> None:
    messages.forget(session, team_id=team_id, channel_id=channel_id, ts=ts)
