"""digests of what was last sent into the messages the bot keeps up to date

An experiment's change used to update its card and every thread reply it had posted, changed
or not; the digest of the last render sent lets an unchanged one be skipped. Empty at first:
after the upgrade, each message is sent once more and remembered from then on.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sentmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "channel_id", "ts", name="uq_sent_team_channel_ts"),
    )


def downgrade() -> None:
    op.drop_table("sentmessage")
