"""What collection keeps between runs: the fingerprints of source units, and each source's runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from tenders.store.catalogue import UpsertResult
from tenders.store.engine import BATCH, StoreBase
from tenders.store.records import PipelineRun, SourceRun, record
from tenders.store.tables import DocumentRow, PipelineRunRow, SourceRunRow, TenderRow, utcnow


@dataclass(slots=True)
class SourceHealth:
    source: str
    last_run: SourceRun
    last_produced: datetime | None = None
    runs: int = 0


class IngestMixin(StoreBase):
    # -- source units --------------------------------------------------------------------

    def fingerprints(self, source: str) -> dict[str, str]:
        with self.session() as session:
            rows = session.execute(select(DocumentRow.key, DocumentRow.fingerprint).where(DocumentRow.source == source))
            return {key: fingerprint for key, fingerprint in rows}

    def save_fingerprints(self, source: str, fingerprints: dict[str, str]) -> None:
        """Replace the fingerprints of these units in one transaction (delete, then insert many)."""
        now = utcnow()
        keys = list(fingerprints)
        with self.session() as session, session.begin():
            for start in range(0, len(keys), BATCH):
                chunk = keys[start : start + BATCH]
                session.execute(delete(DocumentRow).where(DocumentRow.source == source, DocumentRow.key.in_(chunk)))
                session.execute(
                    insert(DocumentRow),
                    [{"source": source, "key": k, "fingerprint": fingerprints[k], "seen_at": now} for k in chunk],
                )

    # -- source runs ---------------------------------------------------------------------

    def record_run(
        self,
        source: str,
        started_at: datetime,
        result: UpsertResult,
        errors: list[str],
        skipped: int = 0,
        finished_at: datetime | None = None,
    ) -> None:
        with self.session() as session, session.begin():
            session.add(
                SourceRunRow(
                    source=source,
                    started_at=started_at,
                    finished_at=finished_at or utcnow(),
                    new=len(result.new),
                    changed=len(result.changed),
                    unchanged=result.unchanged,
                    skipped=skipped,
                    errors=len(errors),
                    last_error=errors[-1] if errors else None,
                )
            )

    def source_health(self) -> dict[str, SourceHealth]:
        """Per source: its last run, and the last time it brought anything new or changed."""
        out: dict[str, SourceHealth] = {}
        with self.session() as session:
            last_run = (
                select(SourceRunRow.source, func.max(SourceRunRow.id).label("id"))
                .group_by(SourceRunRow.source)
                .subquery()
            )
            for row in session.scalars(select(SourceRunRow).join(last_run, SourceRunRow.id == last_run.c.id)):
                out[row.source] = SourceHealth(source=row.source, last_run=record(SourceRun, row))
            produced = session.execute(
                select(SourceRunRow.source, func.max(SourceRunRow.finished_at))
                .where((SourceRunRow.new + SourceRunRow.changed) > 0)
                .group_by(SourceRunRow.source)
            )
            for source, when in produced:
                out[source].last_produced = when
            runs = session.execute(select(SourceRunRow.source, func.count()).group_by(SourceRunRow.source))
            for source, count in runs:
                out[source].runs = count
        return out

    def unplaced_by_source(self) -> dict[str, tuple[int, int]]:
        """Per source: (Swedish tenders, or of no stated country, that nothing places in a county;
        all its tenders). An unplaced tender reaches only whole-country profiles and those that ask."""
        from sqlalchemy import case

        unplaced = TenderRow.county.is_(None) & (TenderRow.buyer_country.is_(None) | (TenderRow.buyer_country == "SE"))
        query = select(TenderRow.source, func.sum(case((unplaced, 1), else_=0)), func.count()).group_by(
            TenderRow.source
        )
        with self.session() as session:
            return {source: (int(n or 0), int(total)) for source, n, total in session.execute(query)}

    def recent_runs(self, limit: int = 10) -> list[SourceRun]:
        with self.session() as session:
            query = select(SourceRunRow).order_by(SourceRunRow.id.desc()).limit(limit)
            return [record(SourceRun, row) for row in session.scalars(query)]

    # -- whole runs: opened at the start, closed at the end ---------------------------------

    def open_pipeline_run(self, host: str, pid: int) -> int:
        with self.session() as session, session.begin():
            row = PipelineRunRow(started_at=utcnow(), host=host[:255], pid=pid)
            session.add(row)
            session.flush()
            return row.id

    def close_pipeline_run(self, run_id: int, outcome: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(PipelineRunRow)
                .where(PipelineRunRow.id == run_id, PipelineRunRow.finished_at.is_(None))
                .values(finished_at=utcnow(), outcome=outcome)
            )

    def open_pipeline_runs(self) -> list[PipelineRun]:
        """Runs that started and have not ended: running now, or killed on the way."""
        with self.session() as session:
            query = select(PipelineRunRow).where(PipelineRunRow.finished_at.is_(None)).order_by(PipelineRunRow.id)
            return [record(PipelineRun, row) for row in session.scalars(query)]

    def close_open_pipeline_runs(self, ids: list[int], outcome: str) -> int:
        """The operator has looked at these runs that never ended: close them with ``outcome``."""
        for run_id in ids:
            self.close_pipeline_run(run_id, outcome)
        return len(ids)
