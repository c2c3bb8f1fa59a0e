"""drop experiment.version: nothing reads it since the delivery queue renders from the database

It was bumped by every change so that a card publisher could tell a stale render; the queue's
per-experiment order and coalescing made that unnecessary. The column goes; every other value
of every experiment stays.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place (SQLite 3.35+ drops a column itself): a batch copy would drop and re-create the
    # table, and with foreign keys on, dropping it would cascade to its reviews and approvals.
    op.drop_column("experiment", "version")


def downgrade() -> None:
    op.add_column("experiment", sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
