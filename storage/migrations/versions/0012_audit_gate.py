"""record what a decision was about in its own column: `audit_event.gate`

A status change caused by a decision (changes requested or rejected in a review, a rejection at
sign-off) names the review kind or `sign-off` in `gate`. Before, the flow insights read the
review back out of the human-readable detail text. Existing rows are filled in from that text,
once, here; nothing else changes.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as the previous release wrote them (workflow/vocabulary.py's review_decision):
# `<previous> → <target>: <kind> review: <reason>`, and `… → rejected: at sign-off: <reason>`.
_DECIDED = ("status:changes_requested", "status:rejected")
_KINDS = ("technical", "ethics", "business")


def upgrade() -> None:
    op.add_column("auditevent", sa.Column("gate", sa.String(length=32), nullable=True))
    audit = sa.table(
        "auditevent",
        sa.column("action", sa.String),
        sa.column("detail", sa.Text),
        sa.column("gate", sa.String),
    )
    decided = audit.c.action.in_(_DECIDED)
    for kind in _KINDS:
        op.execute(
            audit.update().where(decided, audit.c.detail.like(f"%: {kind} review: %")).values(gate=kind)
        )
    op.execute(
        audit.update().where(decided, audit.c.detail.like("%: at sign-off: %")).values(gate="sign-off")
    )


def downgrade() -> None:
    with op.batch_alter_table("auditevent") as batch_op:
        batch_op.drop_column("gate")
