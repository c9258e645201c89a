"""What the web app remembers to defend itself (issue 13): throttled events and seen webhook events.

Revision ID: 0013_security
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_security"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_throttle_kind_subject_at", "throttle_events", ["kind", "subject", "at"])
    op.create_table(
        "webhook_events",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_webhook_events_seen_at", "webhook_events", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_seen_at", "webhook_events")
    op.drop_table("webhook_events")
    op.drop_index("ix_throttle_kind_subject_at", "throttle_events")
    op.drop_table("throttle_events")
