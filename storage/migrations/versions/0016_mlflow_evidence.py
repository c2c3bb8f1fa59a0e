"""evidence from the ML platform: `evidencelink`, `webhookreceipt`, and an experiment's success
criteria (`experiment.criteria`, `experiment.criteria_note`)

Experiments in use keep everything; they start with no links and no criteria, so their
checklist stays ticked by hand until criteria are declared.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("experiment", sa.Column("criteria", sa.String(length=500), nullable=True))
    op.add_column("experiment", sa.Column("criteria_note", sa.Text(), nullable=True))
    op.create_table(
        "evidencelink",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column(
            "experiment_id", sa.Integer(), sa.ForeignKey("experiment.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("model", sa.String(length=256), nullable=True),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("facts", sa.Text(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_error", sa.Text(), nullable=True),
        sa.Column("linked_by", sa.String(length=32), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_evidencelink_team_id", "evidencelink", ["team_id"])
    op.create_index("ix_evidencelink_experiment_id", "evidencelink", ["experiment_id"])
    op.create_index("ix_evidencelink_run", "evidencelink", ["run_id"])
    op.create_index("ix_evidencelink_version", "evidencelink", ["model", "version"])
    op.create_table(
        "webhookreceipt",
        sa.Column("delivery_id", sa.String(length=64), primary_key=True),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_webhookreceipt_received_at", "webhookreceipt", ["received_at"])


def downgrade() -> None:
    op.drop_table("webhookreceipt")
    op.drop_table("evidencelink")
    with op.batch_alter_table("experiment") as batch_op:
        batch_op.drop_column("criteria_note")
        batch_op.drop_column("criteria")
