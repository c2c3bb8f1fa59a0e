"""retro notes and their board

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ceremonyrun", schema=None) as batch_op:
        batch_op.add_column(sa.Column("board_ts", sa.String(length=32), nullable=True))
    op.create_table(
        "retronote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("ceremony_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["ceremony_id"], ["ceremony.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["ceremonyrun.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_retronote_team_id"), "retronote", ["team_id"])
    op.create_index(op.f("ix_retronote_ceremony_id"), "retronote", ["ceremony_id"])
    op.create_index(op.f("ix_retronote_run_id"), "retronote", ["run_id"])


def downgrade() -> None:
    op.drop_table("retronote")
    with op.batch_alter_table("ceremonyrun", schema=None) as batch_op:
        batch_op.drop_column("board_ts")
