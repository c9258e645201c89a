"""National statistics in the store: Upphandlingsmyndigheten's exports, one table per export.

An import replaces, per year and Upphandlings-ID, the rows an export gives: importing the same
file twice, or a corrected one, leaves one copy. Each row keeps the municipality or region the
procurement was attributed to, and how ("org_number", "name", or "title" for a joint body's
purchase named after a member municipality), so the report can say so.

The October report's mailings are recorded here too: one row per county and year, written
before the email is sent, so a rerun never mails a county's report twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text, delete, func, insert, select, tuple_
from sqlalchemy.orm import Mapped, mapped_column

from tenders.store import Base, CoordinatorRow, Store, utcnow

KINDS = ("procurements", "contracts", "values")


class _Procurement:
    """The columns every export repeats: the procurement and its buyer."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    procurement_id: Mapped[str] = mapped_column(String(60), index=True)  # Upphandlings-ID
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(10))
    buyer_name: Mapped[str | None] = mapped_column(String(300))
    buyer_org: Mapped[str | None] = mapped_column(String(20))
    main_cpv: Mapped[str | None] = mapped_column(String(300))
    cpv_division: Mapped[str | None] = mapped_column(String(300))
    social: Mapped[bool] = mapped_column(Boolean)
    reserved: Mapped[bool] = mapped_column(Boolean)
    reserved_execution: Mapped[bool] = mapped_column(Boolean)
    municipality: Mapped[str | None] = mapped_column(String(100))  # short name, or the region's name
    county: Mapped[str | None] = mapped_column(String(10), index=True)
    attributed_by: Mapped[str | None] = mapped_column(String(20))
    imported_at: Mapped[datetime] = mapped_column(DateTime)


class NationalProcurementRow(_Procurement, Base):
    __tablename__ = "national_procurements"

    procedure: Mapped[str | None] = mapped_column(String(200))
    ad_database: Mapped[str | None] = mapped_column(String(100))


class NationalContractRow(_Procurement, Base):
    """A contracted tender: the winner by name (the statistics carry no supplier number)."""

    __tablename__ = "national_contracts"

    lot_id: Mapped[str | None] = mapped_column(String(100))
    supplier_name: Mapped[str | None] = mapped_column(String(300))
    supplier_sector: Mapped[str | None] = mapped_column(String(100))
    supplier_size: Mapped[str | None] = mapped_column(String(100))
    supplier_legal_form: Mapped[str | None] = mapped_column(String(100))
    supplier_sni: Mapped[str | None] = mapped_column(String(300))
    contracts: Mapped[int] = mapped_column(Integer, default=1)


class NationalValueRow(_Procurement, Base):
    __tablename__ = "national_values"

    value: Mapped[float | None] = mapped_column(Float)  # SEK, "Kontrakterat värde, Summa"


TABLES: dict[str, type[_Procurement]] = {
    "procurements": NationalProcurementRow,
    "contracts": NationalContractRow,
    "values": NationalValueRow,
}


class StatisticsStore:
    """Reads and writes the national statistics through the project's one ``Store``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def replace(self, kind: str, rows: Sequence[dict[str, Any]]) -> int:
        """Rows of one export; the (year, Upphandlings-ID) pairs they name are replaced in one transaction."""
        table: Any = TABLES[kind]
        keys = sorted({(int(r["year"]), str(r["procurement_id"])) for r in rows})
        now = utcnow()
        with self.store.session() as session, session.begin():
            for start in range(0, len(keys), 400):
                chunk = keys[start : start + 400]
                session.execute(delete(table).where(tuple_(table.year, table.procurement_id).in_(chunk)))
            for start in range(0, len(rows), 2000):
                session.execute(insert(table), [{**r, "imported_at": now} for r in rows[start : start + 2000]])
        return len(keys)

    def rows(self, kind: str, year: int, county: str | None = None) -> list[Any]:
        table: Any = TABLES[kind]
        query = select(table).where(table.year == year).order_by(table.procurement_id, table.id)
        if county is not None:
            query = query.where(table.county == county)
        with self.store.session() as session:
            return list(session.scalars(query))

    def years(self) -> dict[str, dict[int, int]]:
        """Export -> year -> distinct procurements held: what has been imported."""
        out: dict[str, dict[int, int]] = {}
        with self.store.session() as session:
            for kind, table in TABLES.items():
                t: Any = table
                found = session.execute(select(t.year, func.count(func.distinct(t.procurement_id))).group_by(t.year))
                out[kind] = {int(year): int(n) for year, n in found}
        return out


class ReportMailingRow(Base):
    """A county's October report for a year, mailed to its coordinators: recorded before sending."""

    __tablename__ = "report_mailings"

    county: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))  # the message key: the outbox file, SendGrid's custom arg
    recipients: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))  # sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReportMailings:
    """Who gets a county's report, and whether it went: exactly once per county and year."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def recipients(self, county: str) -> list[tuple[str, str]]:
        """(address, language) of the coordinators assigned ``county`` (admins see all and are not mailed)."""
        with self.store.session() as session:
            rows = session.scalars(select(CoordinatorRow).order_by(CoordinatorRow.username))
            return [(r.email, r.language) for r in rows if r.email and not r.is_admin and county in (r.regions or [])]

    def claim(self, county: str, year: int, key: str, recipients: list[str]) -> ReportMailingRow | None:
        """The mailing to attempt now, or None when it was sent already."""
        with self.store.session() as session, session.begin():
            row = session.get(ReportMailingRow, (county, year))
            if row is not None and row.status == "sent":
                return None
            if row is None:
                row = ReportMailingRow(county=county, year=year, key=key, created_at=utcnow(), attempts=0)
            row.recipients, row.status, row.attempts = recipients, "sending", (row.attempts or 0) + 1
            session.add(row)
            return row

    def mark(self, county: str, year: int, status: str, error: str | None = None) -> None:
        with self.store.session() as session, session.begin():
            row = session.get(ReportMailingRow, (county, year))
            if row is not None:
                row.status, row.last_error = status, error
                row.sent_at = utcnow() if status == "sent" else row.sent_at

    def all(self) -> list[ReportMailingRow]:
        with self.store.session() as session:
            query = select(ReportMailingRow).order_by(ReportMailingRow.year, ReportMailingRow.county)
            return list(session.scalars(query))
