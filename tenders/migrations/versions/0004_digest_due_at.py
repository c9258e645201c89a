"""Digests are due at their subscriber's local time (daily, weekly) or at once (instant).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_digests_due_at", ["due_at"])


def downgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        batch.drop_index("ix_digests_due_at")
        batch.drop_column("due_at")
