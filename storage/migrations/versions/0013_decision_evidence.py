"""keep the evidence each decision was made on: `review.evidence`, `approval.evidence`,
`auditevent.evidence_digest`; and what went stale: `review.stale_note`, `experiment.signoff_note`

Each review decision and sign-off keeps a readable copy of the evidence it was made on, and its
audit record names it by digest. Decisions recorded before this revision keep every column they
had and have no evidence (NULL): they are shown as made before evidence was kept.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("review", sa.Column("evidence", sa.Text(), nullable=True))
    op.add_column("approval", sa.Column("evidence", sa.Text(), nullable=True))
    op.add_column("auditevent", sa.Column("evidence_digest", sa.String(length=16), nullable=True))
    op.add_column("review", sa.Column("stale_note", sa.Text(), nullable=True))
    op.add_column("experiment", sa.Column("signoff_note", sa.Text(), nullable=True))


def downgrade() -> None:
    for table, column in (
        ("experiment", "signoff_note"),
        ("review", "stale_note"),
        ("auditevent", "evidence_digest"),
        ("approval", "evidence"),
        ("review", "evidence"),
    ):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
