"""The stored rows themselves, for tests that check the store against a plain count or a hash:
the store's own API hands out tenders and figures, never its ORM rows."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from tenders.store import Store
from tenders.store.tables import TenderRow


def standing_rows(store: Store) -> Iterator[TenderRow]:
    """Every stored tender standing for its procedure (not merged into another)."""
    with store.session() as session:
        yield from session.scalars(select(TenderRow).where(TenderRow.canonical_id.is_(None)))
