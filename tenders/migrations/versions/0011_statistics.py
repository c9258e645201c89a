"""National statistics (Upphandlingsmyndigheten's exports), the October report's mailings, coordinators' email.

Revision ID: 0011_statistics
Revises: 0010
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_statistics"
down_revision = "0010"

TABLES: dict[str, list[sa.Column[Any]]] = {
    "national_procurements": [sa.Column("procedure", sa.String(200)), sa.Column("ad_database", sa.String(100))],
    "national_contracts": [
        sa.Column("lot_id", sa.String(100)),
        sa.Column("supplier_name", sa.String(300)),
        sa.Column("supplier_sector", sa.String(100)),
        sa.Column("supplier_size", sa.String(100)),
        sa.Column("supplier_legal_form", sa.String(100)),
        sa.Column("supplier_sni", sa.String(300)),
        sa.Column("contracts", sa.Integer(), nullable=False),
    ],
    "national_values": [sa.Column("value", sa.Float())],
}


def _common() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer(), nullable=False, index=True),
        sa.Column("procurement_id", sa.String(60), nullable=False, index=True),
        sa.Column("title", sa.Text()),
        sa.Column("published", sa.String(10)),
        sa.Column("buyer_name", sa.String(300)),
        sa.Column("buyer_org", sa.String(20)),
        sa.Column("main_cpv", sa.String(300)),
        sa.Column("cpv_division", sa.String(300)),
        sa.Column("social", sa.Boolean(), nullable=False),
        sa.Column("reserved", sa.Boolean(), nullable=False),
        sa.Column("reserved_execution", sa.Boolean(), nullable=False),
        sa.Column("municipality", sa.String(100)),
        sa.Column("county", sa.String(10), index=True),
        sa.Column("attributed_by", sa.String(20)),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    for name, own in TABLES.items():
        op.create_table(name, *_common(), *own)
    op.create_table(
        "report_mailings",
        sa.Column("county", sa.String(10), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
    )
    with op.batch_alter_table("coordinators") as batch:
        batch.add_column(sa.Column("email", sa.String(320)))


def downgrade() -> None:
    with op.batch_alter_table("coordinators") as batch:
        batch.drop_column("email")
    op.drop_table("report_mailings")
    for name in reversed(list(TABLES)):
        op.drop_table(name)
