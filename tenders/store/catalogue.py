"""Tenders and their assessments: the idempotent upsert that keeps history, and the reads
matching and digests use. Linking a procedure's notices happens here, as each batch is stored."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenders.dedupe import procedure_deadline
from tenders.model import Tender
from tenders.results import Assessed, Listing, Verdict
from tenders.store.batch_write import UpsertResult as UpsertResult  # its home; callers import it from here
from tenders.store.batch_write import judged_columns, write_batch
from tenders.store.engine import BATCH, StoreBase
from tenders.store.tables import TenderHistoryRow, TenderRow, utcnow


class CatalogueMixin(StoreBase):
    # -- tenders -------------------------------------------------------------------------

    def upsert(
        self, tenders: Iterable[Tender], verdicts: dict[str, Verdict] | None = None,
        hashes: Mapping[str, str] | None = None,
    ) -> UpsertResult:  # fmt: skip
        """Insert new tenders, update changed ones (old version to history), skip the same.

        A verdict given for a tender is stored with it. ``hashes``: each tender's content hash,
        when the worker that parsed it has computed it already (off the collector's path).
        Each batch is one transaction: a crash leaves whole batches, never half a tender.
        """
        total = UpsertResult()
        batch: dict[str, Tender] = {}
        known = hashes or {}
        for tender in tenders:
            if tender.id in batch:  # the same notice twice in one batch: settle the first
                total.add(self._upsert_batch(batch, verdicts or {}, known))
                batch = {}
            batch[tender.id] = tender
            if len(batch) >= BATCH:
                total.add(self._upsert_batch(batch, verdicts or {}, known))
                batch = {}
        if batch:
            total.add(self._upsert_batch(batch, verdicts or {}, known))
        return total

    def _upsert_batch(
        self, batch: dict[str, Tender], verdicts: dict[str, Verdict], hashes: Mapping[str, str]
    ) -> UpsertResult:
        with self.engine.begin() as connection:
            return write_batch(connection, batch, verdicts, hashes, utcnow())

    def get(self, tender_id: str) -> Tender | None:
        with self.session() as session:
            row = session.get(TenderRow, tender_id)
            return Tender.from_dict(row.data) if row else None

    def history(self, tender_id: str) -> list[dict[str, Any]]:
        with self.session() as session:
            rows = session.scalars(
                select(TenderHistoryRow).where(TenderHistoryRow.tender_id == tender_id).order_by(TenderHistoryRow.id)
            )
            return [{"version": r.version, "content_hash": r.content_hash, "data": r.data} for r in rows]

    def count(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(TenderRow)) or 0

    # -- assessments ---------------------------------------------------------------------

    def unassessed(self, classifier_version: str, limit: int = BATCH) -> list[Tender]:
        """Tenders never classified, changed since, or classified by another classifier version."""
        with self.session() as session:
            rows = session.scalars(
                select(TenderRow)
                .where(
                    (TenderRow.assessed_hash.is_(None))
                    | (TenderRow.assessed_hash != TenderRow.content_hash)
                    | (TenderRow.classifier_version != classifier_version)
                )
                .order_by(TenderRow.id)
                .limit(limit)
            )
            return [Tender.from_dict(row.data) for row in rows]

    def save_verdicts(self, verdicts: Sequence[tuple[Tender, Verdict]]) -> None:
        with self.session() as session, session.begin():
            for tender, verdict in verdicts:
                row = session.get(TenderRow, tender.id)
                if row is not None:
                    _judge(row, verdict, tender.content_hash())

    def assessed(
        self, min_score: float = 0.0, *, open_on: date | None = None, leave_out: Sequence[str] = ()
    ) -> Iterator[Assessed]:
        """Judged tenders, best first; ``open_on`` keeps those still open that day (or with no
        deadline), ``leave_out`` drops notice types, both in SQL: the table only grows."""
        query = select(TenderRow).where(
            TenderRow.score.is_not(None), TenderRow.score >= min_score, TenderRow.canonical_id.is_(None)
        )
        if open_on is not None:
            day = open_on.isoformat()
            linked = TenderRow.canonical_id.is_not(None)
            extended = select(TenderRow.canonical_id).where(linked, TenderRow.deadline >= day)
            query = query.where(TenderRow.deadline.is_(None) | (TenderRow.deadline >= day) | TenderRow.id.in_(extended))
        if leave_out:
            query = query.where(TenderRow.notice_type.not_in(list(leave_out)))
        with self.session() as session:
            members = _members(session)
            for row in session.scalars(query.order_by(TenderRow.score.desc(), TenderRow.id)):
                item = _assessed(row, members.get(row.id, ()))
                if open_on is None or not item.tender.deadline or item.tender.deadline >= day:
                    yield item

    def listings(self, tender_id: str) -> tuple[Listing, ...]:
        """Every notice of the procedure this tender belongs to, the tender itself included."""
        with self.session() as session:
            row = session.get(TenderRow, tender_id)
            if row is None:
                return ()
            head = row.canonical_id or row.id
            rows = session.scalars(
                select(TenderRow)
                .where((TenderRow.id == head) | (TenderRow.canonical_id == head))
                .order_by(TenderRow.published, TenderRow.id)
            )
            return tuple(_listing(r) for r in rows)

    def assessed_by_ids(self, ids: Sequence[str]) -> list[Assessed]:
        with self.session() as session:
            rows = {r.id: r for r in session.scalars(select(TenderRow).where(TenderRow.id.in_(list(ids))))}
            members = _members(session, list(rows))
        return [_assessed(rows[i], members.get(i, ())) for i in ids if i in rows]


def _assessed(row: TenderRow, members: Sequence[TenderRow] = ()) -> Assessed:
    """The tender as its procedure stands: a later change notice of it, from any source,
    moves the deadline, and that change alone makes it "updated" for those already told."""
    tender = Tender.from_dict(row.data)
    digest = row.content_hash
    moved = procedure_deadline(tender.deadline, tender.published, members)
    if moved is not None:
        tender.deadline = moved
        digest = hashlib.sha256(f"{digest}|{tender.deadline}".encode()).hexdigest()
    return Assessed(
        tender=tender,
        score=row.score or 0.0,
        label=row.label or "unlikely",
        reasons=list(row.reasons or []),
        content_hash=digest,
        also=tuple(_listing(m) for m in members),
        sectors=tuple(row.sectors or ()),
    )


def _listing(row: TenderRow) -> Listing:
    return Listing(tender_id=row.id, source=row.source, notice_type=row.notice_type, url=row.data.get("url"))


def _members(session: Session, heads: Sequence[str] | None = None) -> dict[str, list[TenderRow]]:
    """Linked notices by the tender that stands for them; few next to the tenders."""
    query = select(TenderRow).where(TenderRow.canonical_id.is_not(None))
    if heads is not None:
        query = query.where(TenderRow.canonical_id.in_(list(heads)))
    out: dict[str, list[TenderRow]] = {}
    for row in session.scalars(query.order_by(TenderRow.published, TenderRow.id)):
        out.setdefault(str(row.canonical_id), []).append(row)
    return out


def _judge(row: TenderRow, verdict: Verdict, digest: str) -> None:
    for name, value in judged_columns(verdict, digest).items():
        setattr(row, name, value)
