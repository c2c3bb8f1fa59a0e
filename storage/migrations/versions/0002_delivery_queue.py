"""delivery queue and per-channel pace

Revision ID: 0002
Revises: 0001

What the previous release still owed Slack is queued, so nothing is lost by upgrading:
- a ceremony run that was claimed or waiting for a retry becomes `queued`, with a delivery
  that posts it (or skips it, if it is past its grace window by the time it is sent);
- an experiment whose card was never posted, or whose thread reply was claimed by a publisher
  that never finished (a `claim:` placeholder), gets a delivery that brings it up to date.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SLOTS = ("review_message_ts", "approval_message_ts", "deployment_message_ts")
_WAITING = "state = 'pending' AND coalesce_key IS NOT NULL"
_COLUMNS = (
    "team_id",
    "kind",
    "subject_id",
    "channel_id",
    "stream",
    "coalesce_key",
    "state",
    "attempts",
    "created_at",
    "updated_at",
)


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("args", sa.Text(), nullable=True),
        sa.Column("stream", sa.String(length=96), nullable=False),
        sa.Column("coalesce_key", sa.String(length=96), nullable=True),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_ready", ["state", "not_before"], unique=False)
        batch_op.create_index("ix_delivery_stream", ["stream", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            "uq_delivery_waiting_key",
            ["coalesce_key"],
            unique=True,
            sqlite_where=sa.text(_WAITING),
            postgresql_where=sa.text(_WAITING),
        )
    op.create_table(
        "channelpace",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("theoretical_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("team_id", "channel_id"),
    )
    _queue_what_was_owed()


def _queue_what_was_owed() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # the app stores naive UTC on SQLite
    delivery = sa.table("delivery", *(sa.column(name) for name in _COLUMNS))

    def row(team_id: str, kind: str, subject_id: int, channel_id: str, stream: str, key: str | None) -> dict:
        return {
            "team_id": team_id,
            "kind": kind,
            "subject_id": subject_id,
            "channel_id": channel_id,
            "stream": stream,
            "coalesce_key": key,
            "state": "pending",
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }

    rows = []
    runs = conn.execute(
        sa.text(
            "SELECT r.id, r.team_id, c.channel_id FROM ceremonyrun r JOIN ceremony c ON c.id = r.ceremony_id "
            "WHERE r.status IN ('claimed', 'retrying') ORDER BY r.id"
        )
    ).all()
    for run_id, team_id, channel_id in runs:
        rows.append(row(team_id, "reminder", run_id, channel_id, f"run:{run_id}", None))
    conn.execute(sa.text("UPDATE ceremonyrun SET status = 'queued' WHERE status IN ('claimed', 'retrying')"))

    for slot in _SLOTS:
        # A claim left by a publisher that died: the reply was never recorded; post it again.
        conn.execute(sa.text(f"UPDATE experiment SET {slot} = NULL WHERE {slot} LIKE 'claim:%'"))
    owed = conn.execute(
        sa.text(
            "SELECT id, team_id, channel_id FROM experiment WHERE channel_id IS NOT NULL AND ("
            "message_ts IS NULL OR (review_message_ts IS NULL AND status NOT IN ('proposed', 'withdrawn')) "
            "OR (approval_message_ts IS NULL AND status IN ('approved', 'production')) "
            "OR (deployment_message_ts IS NULL AND status = 'production')) ORDER BY id"
        )
    ).all()
    for experiment_id, team_id, channel_id in owed:
        stream = f"experiment:{experiment_id}"
        rows.append(row(team_id, "experiment", experiment_id, channel_id, stream, stream))
    if rows:
        op.bulk_insert(delivery, rows)


def downgrade() -> None:
    op.execute("UPDATE ceremonyrun SET status = 'claimed' WHERE status = 'queued'")
    op.drop_table("channelpace")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("uq_delivery_waiting_key")
        batch_op.drop_index(batch_op.f("ix_delivery_team_id"))
        batch_op.drop_index("ix_delivery_stream")
        batch_op.drop_index("ix_delivery_ready")
    op.drop_table("delivery")
