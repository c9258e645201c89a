"""Dialogue invitations claim their number per notice, so that the cap of five holds under
concurrent posts; the numbers already in the audit log are carried over.

Revision ID: 0016_invitations
Revises: 0015_facts
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_invitations"
down_revision = "0015_facts"


def upgrade() -> None:
    op.create_table(
        "buyer_invitations",
        sa.Column("tender_id", sa.String(300), sa.ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    audit = sa.table(
        "buyer_audit",
        *(sa.column(name, kind) for name, kind in (("tender_id", sa.String), ("actor", sa.String),
                                                   ("at", sa.DateTime), ("action", sa.String), ("detail", sa.JSON))),
    )  # fmt: skip
    tenders = sa.table("tenders", sa.column("id", sa.String))
    bind = op.get_bind()
    known = {row.id for row in bind.execute(sa.select(tenders.c.id).where(
        tenders.c.id.in_(sa.select(audit.c.tender_id).where(audit.c.action == "invite"))))}  # fmt: skip
    seen: set[tuple[str, int]] = set()
    rows = []
    for row in bind.execute(sa.select(audit.c.tender_id, audit.c.actor, audit.c.at, audit.c.detail)
                            .where(audit.c.action == "invite").order_by(audit.c.at)):  # fmt: skip
        # Before this table two posts at the same instant could share a number: one of them counts.
        number = (row.detail or {}).get("number")
        if row.tender_id in known and isinstance(number, int) and (row.tender_id, number) not in seen:
            seen.add((row.tender_id, number))
            rows.append({"tender_id": row.tender_id, "number": number, "actor": row.actor, "at": row.at})
    if rows:
        op.bulk_insert(sa.table("buyer_invitations", sa.column("tender_id", sa.String), sa.column("number", sa.Integer),
                                sa.column("actor", sa.String), sa.column("at", sa.DateTime)), rows)  # fmt: skip


def downgrade() -> None:
    op.drop_table("buyer_invitations")
