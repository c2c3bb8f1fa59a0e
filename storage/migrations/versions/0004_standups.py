"""away days and holidays

Revision ID: 0004
Revises: 0002

Written beside the projects work (0003); whoever merges the two re-chains one after the other.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "away",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_away_team_user"),
    )
    op.create_index(op.f("ix_away_team_id"), "away", ["team_id"], unique=False)
    op.create_table(
        "holiday",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "day", name="uq_holiday_team_day"),
    )
    op.create_index(op.f("ix_holiday_team_id"), "holiday", ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_holiday_team_id"), table_name="holiday")
    op.drop_table("holiday")
    op.drop_index(op.f("ix_away_team_id"), table_name="away")
    op.drop_table("away")
