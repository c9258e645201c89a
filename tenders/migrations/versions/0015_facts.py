"""A tender's facts as indexed columns (county, municipality, day, month, social, reserved, won)
and who won each result, so that the coordinators' figures are a GROUP BY; existing rows are
filled in batches of a thousand (keyset by id), on SQLite and PostgreSQL alike.

Revision ID: 0015_facts
Revises: 0010
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from tenders.facts import judged, place_of, winner_orgs

revision = "0015_facts"
down_revision = "0014_buyers"
FILL_BATCH = 1000


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy: SQLite's copy drops the old table, and the cascade
    # would take every delivery and history row with it.
    op.add_column("tenders", sa.Column("county", sa.String(5)))
    op.add_column("tenders", sa.Column("municipality", sa.String(100)))
    op.add_column("tenders", sa.Column("day", sa.String(10)))
    op.add_column("tenders", sa.Column("month", sa.String(7)))
    for name in ("social", "reserved", "won"):
        op.add_column("tenders", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "tender_winners",
        sa.Column("tender_id", sa.String(300), sa.ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("org_number", sa.String(20), primary_key=True),
    )
    op.create_index("ix_tender_winners_org_number", "tender_winners", ["org_number"])
    op.create_index("ix_deliveries_tender_id", "deliveries", ["tender_id"])
    _fill(op.get_bind())
    facts = ["county", "month", "notice_type", "municipality", "social", "reserved", "won", "canonical_id", "id"]
    where = sa.text("county IS NOT NULL")
    op.create_index("ix_tenders_facts", "tenders", facts, sqlite_where=where, postgresql_where=where)
    last_seen = ["county", "municipality", "day", "notice_type", "canonical_id"]
    where = sa.text("municipality IS NOT NULL")
    op.create_index("ix_tenders_municipality_day", "tenders", last_seen, sqlite_where=where, postgresql_where=where)


def _fill(connection: Any) -> None:
    tenders = sa.table(
        "tenders",
        *(sa.column(n, sa.String) for n in ("id", "county", "municipality", "day", "month")),
        sa.column("data", sa.JSON),
        sa.column("reasons", sa.JSON),
        sa.column("first_seen", sa.DateTime),
        *(sa.column(n, sa.Boolean) for n in ("social", "reserved", "won")),
    )
    winners = sa.table("tender_winners", sa.column("tender_id", sa.String), sa.column("org_number", sa.String))
    register = sa.table("social_enterprises", sa.column("org_number", sa.String))
    known = set(connection.execute(sa.select(register.c.org_number)).scalars())
    update = (
        tenders.update()
        .where(tenders.c.id == sa.bindparam("ident"))
        .values({n: sa.bindparam(f"v_{n}") for n in ("county", "municipality", "day", "month", "social",
                                                     "reserved", "won")})
    )  # fmt: skip
    last = ""
    while True:
        rows = connection.execute(
            sa.select(tenders.c.id, tenders.c.data, tenders.c.reasons, tenders.c.first_seen)
            .where(tenders.c.id > last)
            .order_by(tenders.c.id)
            .limit(FILL_BATCH)
        ).all()
        if not rows:
            return
        values, won_by = [], []
        for ident, data, reasons, first_seen in rows:
            place = place_of(data or {}, first_seen)
            social, reserved = judged(reasons)
            orgs = winner_orgs(data or {})
            won_by += [{"tender_id": ident, "org_number": org} for org in orgs]
            values.append({"ident": ident, "v_county": place.county, "v_municipality": place.municipality,
                           "v_day": place.day, "v_month": place.month, "v_social": social,
                           "v_reserved": reserved, "v_won": any(org in known for org in orgs)})  # fmt: skip
        connection.execute(update, values)
        if won_by:
            connection.execute(winners.insert(), won_by)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_tenders_municipality_day", "tenders")
    op.drop_index("ix_tenders_facts", "tenders")
    op.drop_index("ix_deliveries_tender_id", "deliveries")
    op.drop_table("tender_winners")
    for name in ("won", "reserved", "social", "month", "day", "municipality", "county"):
        op.drop_column("tenders", name)  # plain DROP COLUMN (SQLite 3.35+): a batch copy would cascade
