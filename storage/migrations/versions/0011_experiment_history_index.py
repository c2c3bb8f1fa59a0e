"""index experiments by (team, workstream, status) for the estimate's history

Every proposal's timeline estimate reads the finished experiments of its workstream. With only
the team's index, that read walked every experiment the workspace ever had: its cost grew with
the team's history, on every `/experiment propose`. Nothing else changes.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_experiment_team_workstream_status", "experiment", ["team_id", "workstream", "status"])


def downgrade() -> None:
    op.drop_index("ix_experiment_team_workstream_status", table_name="experiment")
