"""away days, holidays and standups that collect answers

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
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
    with op.batch_alter_table("ceremony", schema=None) as batch_op:
        batch_op.add_column(sa.Column("close_minutes", sa.Integer(), server_default="120", nullable=False))
    with op.batch_alter_table("ceremonyrun", schema=None) as batch_op:
        for column in ("followup_at", "followed_up_at", "closes_at", "closed_at"):
            batch_op.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "standupparticipant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("ceremony_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["ceremony_id"], ["ceremony.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ceremony_id", "user_id", name="uq_participant_ceremony_user"),
    )
    op.create_index(op.f("ix_standupparticipant_team_id"), "standupparticipant", ["team_id"])
    op.create_index(op.f("ix_standupparticipant_ceremony_id"), "standupparticipant", ["ceremony_id"])
    op.create_table(
        "standupprompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("away", sa.Boolean(), nullable=False),
        sa.Column("dm_channel", sa.String(length=32), nullable=True),
        sa.Column("dm_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["ceremonyrun.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "user_id", name="uq_prompt_run_user"),
    )
    op.create_index(op.f("ix_standupprompt_team_id"), "standupprompt", ["team_id"])
    op.create_index(op.f("ix_standupprompt_run_id"), "standupprompt", ["run_id"])
    op.create_table(
        "standupanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("blockers", sa.Text(), nullable=True),
        sa.Column("help", sa.Text(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("reply_ts", sa.String(length=32), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["ceremonyrun.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "user_id", name="uq_answer_run_user"),
    )
    op.create_index(op.f("ix_standupanswer_team_id"), "standupanswer", ["team_id"])
    op.create_index(op.f("ix_standupanswer_run_id"), "standupanswer", ["run_id"])
    op.create_table(
        "standupblocker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["ceremonyrun.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "user_id", "experiment_id", name="uq_blocker_run_user_experiment"),
    )
    op.create_index(op.f("ix_standupblocker_team_id"), "standupblocker", ["team_id"])
    op.create_index(op.f("ix_standupblocker_run_id"), "standupblocker", ["run_id"])
    op.create_index(op.f("ix_standupblocker_experiment_id"), "standupblocker", ["experiment_id"])


def downgrade() -> None:
    for table in ("standupblocker", "standupanswer", "standupprompt", "standupparticipant"):
        op.drop_table(table)
    with op.batch_alter_table("ceremonyrun", schema=None) as batch_op:
        for column in ("followup_at", "followed_up_at", "closes_at", "closed_at"):
            batch_op.drop_column(column)
    with op.batch_alter_table("ceremony", schema=None) as batch_op:
        batch_op.drop_column("close_minutes")
    op.drop_index(op.f("ix_holiday_team_id"), table_name="holiday")
    op.drop_table("holiday")
    op.drop_index(op.f("ix_away_team_id"), table_name="away")
    op.drop_table("away")
