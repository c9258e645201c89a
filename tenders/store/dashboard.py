"""The coordinators' side: accounts, the register of social enterprises, feedback and the figures."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import delete, func, select

from tenders.store.engine import StoreBase
from tenders.store.tables import (
    DELIVERED,
    CoordinatorRow,
    DeliveryRow,
    DigestRow,
    EnterpriseRow,
    FeedbackRow,
    TenderRow,
    utcnow,
)


class DashboardMixin(StoreBase):
    def digest_counts(self) -> dict[str, int]:
        with self.session() as session:
            return dict(session.execute(select(DigestRow.status, func.count()).group_by(DigestRow.status)).all())

    # -- coordinators, the register, feedback ------------------------------------------------

    def save_coordinator(self, username: str, password_hash: str, regions: Sequence[str], *, is_admin: bool = False,
                         language: str = "sv", email: str | None = None) -> None:  # fmt: skip
        with self.session() as session, session.begin():
            row = session.get(CoordinatorRow, username) or CoordinatorRow(username=username, created_at=utcnow())
            row.password_hash, row.regions, row.is_admin, row.language = (
                password_hash,
                list(regions),
                is_admin,
                language,
            )
            row.email = email or row.email
            session.add(row)

    def coordinator(self, username: str) -> CoordinatorRow | None:
        with self.session() as session:
            return session.get(CoordinatorRow, username)

    def replace_register(self, enterprises: Sequence[dict[str, Any]]) -> int:
        """The register as the CSV says it now: one transaction, so a failed import keeps the old one."""
        now = utcnow()
        with self.session() as session, session.begin():
            session.execute(delete(EnterpriseRow))
            for e in enterprises:
                session.add(EnterpriseRow(imported_at=now, **e))
        return len(enterprises)

    def import_register(self, enterprises: Sequence[dict[str, Any]]) -> tuple[int, int]:
        """Add and update by organisation number, in one transaction; rows not in the file stay
        (another county's enterprises are not dropped by an import that does not list them).
        Returns (added, updated)."""
        now = utcnow()
        added = updated = 0
        with self.session() as session, session.begin():
            for e in enterprises:
                row = session.get(EnterpriseRow, e["org_number"])
                if row is None:
                    session.add(EnterpriseRow(imported_at=now, **e))
                    added += 1
                    continue
                for name, value in e.items():
                    setattr(row, name, value)
                row.imported_at = now
                updated += 1
        return added, updated

    def register(self, counties: Collection[str] | None = None) -> list[EnterpriseRow]:
        """The register, or the part of it in ``counties`` (NUTS 3) for a coordinator who sees only those."""
        query = select(EnterpriseRow).order_by(EnterpriseRow.name)
        if counties is not None:
            query = query.where(EnterpriseRow.county.in_(sorted(counties)))
        with self.session() as session:
            return list(session.scalars(query))

    def save_feedback(self, subscriber: str, tender_id: str, relevant: bool) -> None:
        with self.session() as session, session.begin():
            row = session.get(FeedbackRow, (subscriber, tender_id)) or FeedbackRow(subscriber=subscriber,
                                                                                    tender_id=tender_id)  # fmt: skip
            row.relevant, row.created_at = relevant, utcnow()
            session.add(row)

    def feedback(self, subscriber: str | None = None) -> list[FeedbackRow]:
        query = select(FeedbackRow).order_by(FeedbackRow.created_at)
        if subscriber is not None:
            query = query.where(FeedbackRow.subscriber == subscriber)
        with self.session() as session:
            return list(session.scalars(query))

    def delivered_tenders(self) -> dict[str, int]:
        """Tender id -> how many subscribers a sent digest brought it to."""
        with self.session() as session:
            rows = session.execute(
                select(DeliveryRow.tender_id, func.count())
                .join(DigestRow, DigestRow.id == DeliveryRow.digest_id)
                .where(DigestRow.status.in_(DELIVERED))
                .group_by(DeliveryRow.tender_id)
            )
            return {tender_id: int(n) for tender_id, n in rows}

    def matched_tenders(self) -> set[str]:
        with self.session() as session:
            return set(session.scalars(select(DeliveryRow.tender_id).distinct()))

    def report_rows(self) -> Iterator[TenderRow]:
        """Every stored tender standing for its procedure, for the coordinators' figures."""
        with self.session() as session:
            yield from session.scalars(select(TenderRow).where(TenderRow.canonical_id.is_(None)))
