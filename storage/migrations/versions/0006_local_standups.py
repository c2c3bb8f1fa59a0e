"""standups in each member's own morning: `local`, the run's day, prompts' times, members' tz

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROMPT_TIMES = ("ask_at", "asked_at", "followup_at", "followed_up_at")


def upgrade() -> None:
    with op.batch_alter_table("ceremony", schema=None) as batch_op:
        # "0", not sa.false(): an expression default makes SQLite rebuild the table (and cascade).
        batch_op.add_column(sa.Column("local", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("ceremonyrun", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_day", sa.Date(), nullable=True))
    # An index, not a constraint: SQLite would rebuild the table (and cascade) for a constraint.
    op.create_index("uq_run_ceremony_local_day", "ceremonyrun", ["ceremony_id", "local_day"], unique=True)
    with op.batch_alter_table("standupprompt", schema=None) as batch_op:
        for column in PROMPT_TIMES:
            batch_op.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "standupmember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("ceremony_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ceremony_id"], ["ceremony.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ceremony_id", "user_id", name="uq_member_ceremony_user"),
    )
    op.create_index(op.f("ix_standupmember_team_id"), "standupmember", ["team_id"])
    op.create_index(op.f("ix_standupmember_ceremony_id"), "standupmember", ["ceremony_id"])


def downgrade() -> None:
    op.drop_table("standupmember")
    with op.batch_alter_table("standupprompt", schema=None) as batch_op:
        for column in PROMPT_TIMES:
            batch_op.drop_column(column)
    op.drop_index("uq_run_ceremony_local_day", table_name="ceremonyrun")
    with op.batch_alter_table("ceremonyrun", schema=None) as batch_op:
        batch_op.drop_column("local_day")
    with op.batch_alter_table("ceremony", schema=None) as batch_op:
        batch_op.drop_column("local")
