"""Suppressed addresses: unsubscribed, bounced, reported as spam.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
