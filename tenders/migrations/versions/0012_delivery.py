"""A digest that may have reached the provider is "unsure" from a given time, not "failed".

Before, "failed" meant both "certainly not taken" and "the answer was lost". A failed digest
that had been tried could be either, so it becomes "unsure": the next run asks the provider
before sending it again. (The lead sets down_revision to the newest revision at merge.)

Revision ID: 0012_delivery
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_delivery"
down_revision = "0011_statistics"


def upgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("unsure_since", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE digests SET status = 'unsure', unsure_since = COALESCE(attempted_at, created_at) "
        "WHERE status = 'failed' AND attempts > 0"
    )


def downgrade() -> None:
    op.execute("UPDATE digests SET status = 'failed' WHERE status IN ('unsure', 'unknown')")
    op.execute("UPDATE digests SET status = 'sent' WHERE status = 'partial'")
    with op.batch_alter_table("digests") as batch:
        batch.drop_column("unsure_since")
