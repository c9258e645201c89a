"""Tenders with history, assessments, the digest outbox, deliveries, source runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "tenders",
        sa.Column("id", sa.String(300), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("notice_id", sa.String(200), nullable=False),
        sa.Column("notice_type", sa.String(20), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("buyer_country", sa.String(2)),
        sa.Column("published", sa.String(10)),
        sa.Column("deadline", sa.String(40)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.Float()),
        sa.Column("label", sa.String(20)),
        sa.Column("reasons", sa.JSON()),
        sa.Column("assessed_hash", sa.String(64)),
        sa.Column("classifier_version", sa.String(40)),
        sa.UniqueConstraint("source", "notice_id", name="uq_tenders_source_notice"),
    )
    op.create_index("ix_tenders_updated_at", "tenders", ["updated_at"])
    op.create_table(
        "tender_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tender_id", sa.String(300), sa.ForeignKey("tenders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_tender_history_tender_id", "tender_history", ["tender_id"])
    op.create_table(
        "digests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subscriber", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("tender_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("provider_ref", sa.String(300)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
    )
    op.create_index("ix_digests_subscriber", "digests", ["subscriber"])
    op.create_index("ix_digests_status", "digests", ["status"])
    op.create_table(
        "deliveries",
        sa.Column("subscriber", sa.String(200), primary_key=True),
        sa.Column("tender_id", sa.String(300), sa.ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("digest_id", sa.String(36), sa.ForeignKey("digests.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_deliveries_digest_id", "deliveries", ["digest_id"])
    op.create_table(
        "source_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
    )
    op.create_index("ix_source_runs_source", "source_runs", ["source"])


def downgrade() -> None:
    for table in ("source_runs", "deliveries", "digests", "tender_history", "tenders"):
        op.drop_table(table)
