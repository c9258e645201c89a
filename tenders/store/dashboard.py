"""The coordinators' side: accounts, the register of social enterprises, feedback and the figures."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
                         language: str = "sv") -> None:  # fmt: skip
        with self.session() as session, session.begin():
            row = session.get(CoordinatorRow, username) or CoordinatorRow(username=username, created_at=utcnow())
            row.password_hash, row.regions, row.is_admin, row.language = (
                password_hash,
                list(regions),
                is_admin,
                language,
            )
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

    def register(self) -> list[EnterpriseRow]:
        with self.session() as session:
            return list(session.scalars(select(EnterpriseRow).order_by(EnterpriseRow.name)))

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
