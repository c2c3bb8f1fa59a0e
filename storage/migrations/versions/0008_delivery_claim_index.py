"""claims walk the delivery queue by (state, id)

A claim takes the oldest due rows of each state: with the index on (state, id) it reads them
in order and stops at its limit, where (state, not_before) made it read and sort the whole
backlog on every claim.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_delivery_state_id", "delivery", ["state", "id"])
    op.drop_index("ix_delivery_ready", table_name="delivery")


def downgrade() -> None:
    op.create_index("ix_delivery_ready", "delivery", ["state", "not_before"])
    op.drop_index("ix_delivery_state_id", table_name="delivery")
