"""Fingerprints of source units (files, packages, feeds), so unchanged ones are not read again.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("source", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(1000), primary_key=True),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("documents")
