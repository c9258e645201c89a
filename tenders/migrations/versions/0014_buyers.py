"""Buyers: organisations, their logins and hashed API tokens, published notices, interest, audit log.

Revision ID: 0014_buyers
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_buyers"
down_revision = "0013_security"


def upgrade() -> None:
    op.create_table(
        "buyer_orgs",
        sa.Column("org_number", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False, unique=True),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("contact_email", sa.String(320)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "buyer_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "org_number", sa.String(10), sa.ForeignKey("buyer_orgs.org_number", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime()),
        sa.Column("revoked_at", sa.DateTime()),
    )
    op.create_index("ix_buyer_tokens_org_number", "buyer_tokens", ["org_number"])
    op.create_table(
        "buyer_users",
        sa.Column(
            "username", sa.String(100), sa.ForeignKey("coordinators.username", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "org_number", sa.String(10), sa.ForeignKey("buyer_orgs.org_number", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_index("ix_buyer_users_org_number", "buyer_users", ["org_number"])
    op.create_table(
        "buyer_notices",
        sa.Column("tender_id", sa.String(300), sa.ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "org_number", sa.String(10), sa.ForeignKey("buyer_orgs.org_number", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_buyer_notices_org_number", "buyer_notices", ["org_number"])
    op.create_table(
        "buyer_interest",
        sa.Column("tender_id", sa.String(300), sa.ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("subscriber", sa.String(200), primary_key=True),
        sa.Column("organisation", sa.String(300), nullable=False),
        sa.Column("org_number", sa.String(10)),
        sa.Column("municipality", sa.String(100)),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("note", sa.Text()),
        sa.Column("capacity", sa.String(300)),
        sa.Column("joint_bid", sa.Boolean(), nullable=False),
        sa.Column("share_contact", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime()),
    )
    op.create_table(
        "buyer_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("org_number", sa.String(10), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("tender_id", sa.String(300)),
        sa.Column("detail", sa.JSON()),
    )
    op.create_table(
        "buyer_messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("subscriber", sa.String(200), nullable=False),
        sa.Column("tender_id", sa.String(300), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("reply_to", sa.String(320)),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("provider_ref", sa.String(300)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempted_at", sa.DateTime()),
        sa.Column("sent_at", sa.DateTime()),
        sa.UniqueConstraint("kind", "subscriber", "tender_id", name="uq_buyer_messages_once"),
    )
    op.create_index("ix_buyer_messages_subscriber", "buyer_messages", ["subscriber"])
    op.create_index("ix_buyer_messages_status", "buyer_messages", ["status"])
    op.create_index("ix_buyer_audit_at", "buyer_audit", ["at"])
    op.create_index("ix_buyer_audit_org_number", "buyer_audit", ["org_number"])


def downgrade() -> None:
    for table in (
        "buyer_messages",
        "buyer_audit",
        "buyer_interest",
        "buyer_notices",
        "buyer_users",
        "buyer_tokens",
        "buyer_orgs",
    ):
        op.drop_table(table)
