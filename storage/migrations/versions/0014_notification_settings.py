"""a person's choice about the bot's DMs: `notificationsetting`

The owner of an experiment is DMed when its reviews complete, changes are requested, it is
rejected, decisions go stale, its sign-off request expires and it reaches production, unless they
turned that off with `/aiteam notify off`. No row means the default (on); nothing else changes.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notificationsetting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("owner_dms", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_notification_team_user"),
    )
    op.create_index("ix_notificationsetting_team_id", "notificationsetting", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_notificationsetting_team_id", table_name="notificationsetting")
    op.drop_table("notificationsetting")
