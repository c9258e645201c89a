"""What a tender buys, as its verdict says (``Assessment.sectors``): by CPV code, else read from
its words. Matching sends a tender without a CPV code to a sector's profiles by it. Tenders judged
before have none until they are judged again (the classifier's version changed with it).

Revision ID: 0017_sectors
Revises: 0016_invitations
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_sectors"
down_revision = "0016_invitations"


def upgrade() -> None:
    op.add_column("tenders", sa.Column("sectors", sa.JSON()))  # plain ADD COLUMN: see 0015


def downgrade() -> None:
    op.drop_column("tenders", "sectors")
