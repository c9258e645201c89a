"""Each ``tender-radar run`` opens a record when it starts and closes it when it ends: a run killed
on the way stays open, and ``tender-radar status`` shows it (issue 26).

Revision ID: 0018_pipeline_runs
Revises: 0017_sectors
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_pipeline_runs"
down_revision = "0017_sectors"


def upgrade() -> None:
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text()),
    )
    op.create_index("ix_pipeline_runs_finished_at", "pipeline_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_pipeline_runs_finished_at", "pipeline_runs")
    op.drop_table("pipeline_runs")
