"""A subscriber watches a tender (reminders 7 days and 1 day before its deadline, a word when it
changes, is withdrawn or awarded), and its calendar feed's address has a version revoking bumps
(issue 27, items 2 and 3).

Revision ID: 0019_watches
Revises: 0018_pipeline_runs
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_watches"
down_revision = "0018_pipeline_runs"


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("subscriber", sa.String(200), primary_key=True),
        sa.Column("tender_id", sa.String(300), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("told_hash", sa.String(64), nullable=False),
        sa.Column("told_state", sa.String(12), nullable=False),
        sa.Column("told_at", sa.DateTime()),
    )
    op.create_index("ix_watches_tender_id", "watches", ["tender_id"])
    op.create_table(
        "calendar_keys",
        sa.Column("subscriber", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_keys")
    op.drop_index("ix_watches_tender_id", "watches")
    op.drop_table("watches")
