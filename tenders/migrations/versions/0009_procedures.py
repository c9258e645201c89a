"""One procedure, one tender: keys to find the same procedure from another source, and the link.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from tenders.dedupe import buyer_key, procedure_key

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(sa.Column("procedure_key", sa.String(200)))
        batch.add_column(sa.Column("buyer_key", sa.String(200)))
        batch.add_column(sa.Column("canonical_id", sa.String(300)))
        batch.create_index("ix_tenders_procedure_key", ["procedure_key"])
        batch.create_index("ix_tenders_buyer_key", ["buyer_key"])
        batch.create_index("ix_tenders_canonical_id", ["canonical_id"])
    tenders = sa.table(
        "tenders",
        sa.column("id", sa.String),
        sa.column("data", sa.JSON),
        sa.column("procedure_key", sa.String),
        sa.column("buyer_key", sa.String),
    )
    connection = op.get_bind()
    for ident, data in connection.execute(sa.select(tenders.c.id, tenders.c.data)).all():
        connection.execute(
            tenders.update()
            .where(tenders.c.id == ident)
            .values(
                procedure_key=procedure_key(data.get("procedure_id")),
                buyer_key=buyer_key(data.get("buyer_org_id"), data.get("buyer_name")),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        batch.drop_index("ix_tenders_canonical_id")
        batch.drop_index("ix_tenders_buyer_key")
        batch.drop_index("ix_tenders_procedure_key")
        batch.drop_column("canonical_id")
        batch.drop_column("buyer_key")
        batch.drop_column("procedure_key")
