"""count an experiment's nudges in its status, and when they escalated:
`experiment.nudge_count`, `experiment.escalated_at`

A review or sign-off still waiting after `ESCALATE_AFTER_NUDGES` nudges is escalated once to the
holders of `ESCALATE_TO_ROLE`. Experiments already waiting start from no nudges counted.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("experiment", sa.Column("nudge_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("experiment", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("experiment") as batch_op:
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("nudge_count")
