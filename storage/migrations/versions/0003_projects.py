"""projects, members, milestones, experiment links; learned timeline estimates

Revision ID: 0003
Revises: 0002

Only adds: new tables, and nullable columns on `experiment` (the estimate fixed at proposal)
and `auditevent` (the project a record is about). Existing experiments keep everything; their
estimate stays the per-workstream default they were proposed with (`timeline_weeks`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("name_key", sa.String(length=40), nullable=False),
        sa.Column("workstream", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        _ts("archived_at", nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "name_key", name="uq_project_team_name"),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_team_id"), ["team_id"], unique=False)

    op.create_table(
        "projectmember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        _ts("added_at"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "user_id", name="uq_member_project_user"),
    )
    with op.batch_alter_table("projectmember", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projectmember_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projectmember_team_id"), ["team_id"], unique=False)

    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        _ts("done_at", nullable=True),
        sa.Column("done_by", sa.String(length=32), nullable=True),
        _ts("overdue_reminded_at", nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "number", name="uq_milestone_project_number"),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestone_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_milestone_team_id"), ["team_id"], unique=False)

    op.create_table(
        "projectexperiment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=32), nullable=False),
        _ts("linked_at"),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("experiment_id", name="uq_link_experiment"),
    )
    with op.batch_alter_table("projectexperiment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projectexperiment_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projectexperiment_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("experiment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("estimate_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("estimate_basis", sa.String(length=200), nullable=True))

    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_auditevent_project_id"), ["project_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_auditevent_project_id", "project", ["project_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_constraint("fk_auditevent_project_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_auditevent_project_id"))
        batch_op.drop_column("project_id")
    with op.batch_alter_table("experiment", schema=None) as batch_op:
        batch_op.drop_column("estimate_basis")
        batch_op.drop_column("estimate_days")
    op.drop_table("projectexperiment")
    op.drop_table("milestone")
    op.drop_table("projectmember")
    op.drop_table("project")
