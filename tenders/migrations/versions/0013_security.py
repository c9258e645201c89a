"""What the web app remembers to defend itself (issue 13): throttled events, webhook events already
taken, login sessions (logout revokes), and sign-ups waiting for the owner of an address.

Revision ID: 0013_security
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_security"
down_revision = "0012_delivery"


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
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_sessions_username", "login_sessions", ["username"])
    op.create_table(
        "sign_up_proposals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_sign_up_proposals_key", "sign_up_proposals", ["key"])


def downgrade() -> None:
    op.drop_index("ix_sign_up_proposals_key", "sign_up_proposals")
    op.drop_table("sign_up_proposals")
    op.drop_index("ix_login_sessions_username", "login_sessions")
    op.drop_table("login_sessions")
    op.drop_index("ix_webhook_events_seen_at", "webhook_events")
    op.drop_table("webhook_events")
    op.drop_index("ix_throttle_kind_subject_at", "throttle_events")
    op.drop_table("throttle_events")
