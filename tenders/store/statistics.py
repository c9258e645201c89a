"""National statistics: Upphandlingsmyndigheten's exports, one table per export; the October report's mailings.

An import replaces, per year and Upphandlings-ID, the rows an export gives: importing the same
file twice, or a corrected one, leaves one copy. Each row keeps the municipality or region the
procurement was attributed to, and how, so the report can say so.

The October report's mailings are recorded here too: one row per county and year, written
before the email is sent, so a rerun never mails a county's report twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

from sqlalchemy import delete, func, insert, select, tuple_

from tenders.store.engine import StoreBase
from tenders.store.records import (
    NationalContract,
    NationalProcurement,
    NationalRecord,
    NationalValue,
    ReportMailing,
    record,
)
from tenders.store.tables import (
    CoordinatorRow,
    NationalContractRow,
    NationalProcurementRow,
    NationalValueRow,
    ReportMailingRow,
    utcnow,
)

STATISTICS: dict[str, Any] = {  # the export -> its table
    "procurements": NationalProcurementRow,
    "contracts": NationalContractRow,
    "values": NationalValueRow,
}
RECORDS: dict[str, type[NationalRecord]] = {  # the export -> what its rows are handed out as
    "procurements": NationalProcurement,
    "contracts": NationalContract,
    "values": NationalValue,
}


class StatisticsMixin(StoreBase):
    def replace_statistics(self, kind: str, rows: Sequence[dict[str, Any]]) -> int:
        """Rows of one export; the (year, Upphandlings-ID) pairs they name are replaced in one transaction."""
        table = STATISTICS[kind]
        keys = sorted({(int(r["year"]), str(r["procurement_id"])) for r in rows})
        now = utcnow()
        with self.session() as session, session.begin():
            for start in range(0, len(keys), 400):
                chunk = keys[start : start + 400]
                session.execute(delete(table).where(tuple_(table.year, table.procurement_id).in_(chunk)))
            for start in range(0, len(rows), 2000):
                session.execute(insert(table), [{**r, "imported_at": now} for r in rows[start : start + 2000]])
        return len(keys)

    @overload
    def statistics_rows(self, kind: Literal["procurements"], year: int,
                        county: str | None = None) -> list[NationalProcurement]: ...  # fmt: skip
    @overload
    def statistics_rows(self, kind: Literal["contracts"], year: int,
                        county: str | None = None) -> list[NationalContract]: ...  # fmt: skip
    @overload
    def statistics_rows(self, kind: Literal["values"], year: int, county: str | None = None) -> list[NationalValue]: ...

    def statistics_rows(self, kind: str, year: int, county: str | None = None) -> Sequence[NationalRecord]:
        """One export's rows for a year (and a county), in Upphandlings-ID order."""
        table, kind_of = STATISTICS[kind], RECORDS[kind]
        query = select(table).where(table.year == year).order_by(table.procurement_id, table.id)
        if county is not None:
            query = query.where(table.county == county)
        with self.session() as session:
            return [record(kind_of, row) for row in session.scalars(query)]

    def statistics_years(self) -> dict[str, dict[int, int]]:
        """Export -> year -> distinct procurements held: what has been imported."""
        out: dict[str, dict[int, int]] = {}
        with self.session() as session:
            for kind, table in STATISTICS.items():
                found = session.execute(
                    select(table.year, func.count(func.distinct(table.procurement_id))).group_by(table.year)
                )
                out[kind] = {int(year): int(n) for year, n in found}
        return out

    # -- the October report's mailings: exactly once per county and year ---------------------

    def report_recipients(self, county: str) -> list[tuple[str, str]]:
        """(address, language) of the coordinators assigned ``county`` (admins see all and are not mailed)."""
        with self.session() as session:
            rows = session.scalars(select(CoordinatorRow).order_by(CoordinatorRow.username))
            return [(r.email, r.language) for r in rows if r.email and not r.is_admin and county in (r.regions or [])]

    def claim_report_mailing(self, county: str, year: int, key: str, recipients: list[str]) -> ReportMailing | None:
        """The mailing to attempt now, or None when it was sent already."""
        with self.session() as session, session.begin():
            row = session.get(ReportMailingRow, (county, year))
            if row is not None and row.status == "sent":
                return None
            if row is None:
                row = ReportMailingRow(county=county, year=year, key=key, created_at=utcnow(), attempts=0)
            row.recipients, row.status, row.attempts = recipients, "sending", (row.attempts or 0) + 1
            session.add(row)
            session.flush()
            return record(ReportMailing, row)

    def mark_report_mailing(self, county: str, year: int, status: str, error: str | None = None) -> None:
        with self.session() as session, session.begin():
            row = session.get(ReportMailingRow, (county, year))
            if row is not None:
                row.status, row.last_error = status, error
                row.sent_at = utcnow() if status == "sent" else row.sent_at

    def report_mailings(self) -> list[ReportMailing]:
        with self.session() as session:
            query = select(ReportMailingRow).order_by(ReportMailingRow.year, ReportMailingRow.county)
            return [record(ReportMailing, row) for row in session.scalars(query)]
