"""Tenders and their assessments: the idempotent upsert that keeps history, and the reads
matching and digests use. Linking a procedure's notices happens here, as each batch is stored."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from tenders.dedupe import buyer_key, head_of, linking_order, listed_before, procedure_deadline, procedure_key
from tenders.facts import judged, place_of, winner_orgs
from tenders.model import Tender, content_hash
from tenders.results import Assessed, Listing, Verdict
from tenders.store.engine import BATCH, StoreBase
from tenders.store.tables import EnterpriseRow, TenderHistoryRow, TenderRow, TenderWinnerRow, utcnow


@dataclass(slots=True)
class UpsertResult:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    linked: int = 0  # new notices of a procedure already stored under another id

    def add(self, other: UpsertResult) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.linked += other.linked


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
        result = UpsertResult()
        now = utcnow()
        added: list[TenderRow] = []  # kept here: a query below flushes, and session.new forgets them
        with self.session() as session, session.begin():
            existing = {row.id: row for row in session.scalars(select(TenderRow).where(TenderRow.id.in_(list(batch))))}
            for tender_id, tender in batch.items():
                data = tender.to_dict()
                digest = hashes.get(tender_id) or content_hash(data)
                row = existing.get(tender_id)
                verdict = verdicts.get(tender_id)
                if row is None:
                    row = _new_row(tender, data, digest, now)
                    _judge(row, verdict, digest)
                    session.add(row)
                    added.append(row)
                    result.new.append(tender_id)
                elif row.content_hash == digest:
                    if verdict is not None and row.classifier_version != verdict.version:
                        _judge(row, verdict, digest)
                    result.unchanged += 1
                else:
                    session.add(
                        TenderHistoryRow(
                            tender_id=tender_id,
                            version=row.version,
                            content_hash=row.content_hash,
                            data=row.data,
                            replaced_at=now,
                        )
                    )
                    _update_row(row, tender, data, digest, now)
                    _judge(row, verdict, digest)
                    result.changed.append(tender_id)
            _save_winners(session, batch, existing, result)
            if added:
                session.flush()
                result.linked = _link(session, added)
        return result

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


def _link(session: Session, added: Sequence[TenderRow]) -> int:
    """Link each new notice to the tender that already stands for its procedure, if any.

    By procedure id first (a TED change notice, the same procedure elsewhere), else by
    buyer, title and deadline against other sources. The earliest notice stands for the
    procedure; links never chain.
    """
    linked = 0
    new_ids = {row.id for row in added}
    heads: dict[str, dict[str | None, str]] = {}  # procedure key -> buyer key -> the id standing for it
    keys = {row.procedure_key for row in added if row.procedure_key}
    if keys:
        # Only the tenders standing for a procedure, and only their keys: a procedure id shared by
        # thousands of notices (call-offs, a converter's placeholder) costs one row per buyer.
        existing = session.execute(
            select(TenderRow.procedure_key, TenderRow.buyer_key, TenderRow.id)
            .where(TenderRow.procedure_key.in_(list(keys)), TenderRow.canonical_id.is_(None),
                   TenderRow.id.not_in(list(new_ids)))
            .order_by(TenderRow.first_seen, TenderRow.id)
        )  # fmt: skip
        for key, buyer, ident in existing:
            heads.setdefault(str(key), {}).setdefault(buyer, ident)
    order = sorted(added, key=linking_order)
    unlinked = []
    for row in order:
        head = head_of(heads, row.procedure_key, row.buyer_key)
        if head is None:
            if row.procedure_key:
                heads.setdefault(row.procedure_key, {}).setdefault(row.buyer_key, row.id)
            unlinked.append(row)
        else:
            row.canonical_id = head
            linked += 1
    buyers = {row.buyer_key for row in unlinked if row.buyer_key}
    if not buyers:
        return linked
    candidates: dict[str, list[TenderRow]] = {}
    sources = {row.source for row in unlinked}
    query = select(TenderRow).where(
        TenderRow.buyer_key.in_(list(buyers)),
        TenderRow.canonical_id.is_(None),
        TenderRow.notice_type != "result",
    )
    if len(sources) == 1:  # the usual batch: one source, and only other sources can list it again
        query = query.where(TenderRow.source != next(iter(sources)))
    for row in session.scalars(query.order_by(TenderRow.first_seen, TenderRow.id)):
        candidates.setdefault(str(row.buyer_key), []).append(row)
    targets: set[str] = set()
    for row in unlinked:
        if row.id in targets or not row.buyer_key:
            continue
        old = listed_before(row, candidates.get(row.buyer_key, ()))
        if old is not None:
            row.canonical_id = old.id
            targets.add(old.id)
            linked += 1
    moved = {row.id: row.canonical_id for row in unlinked if row.canonical_id}
    for row in added:  # a notice linked by procedure id to one that has just been linked itself
        if row.canonical_id in moved:
            row.canonical_id = moved[row.canonical_id]
    return linked


def _save_winners(
    session: Session, batch: dict[str, Tender], existing: dict[str, TenderRow], result: UpsertResult
) -> None:
    """Who won each new or changed result, and whether the register knows one of them (``won``)."""
    written = result.new + result.changed
    rows = {**existing, **{r.id: r for r in session.new if isinstance(r, TenderRow)}}
    if result.changed:
        session.execute(delete(TenderWinnerRow).where(TenderWinnerRow.tender_id.in_(result.changed)))
    orgs = {ident: winner_orgs(rows[ident].data) for ident in written if batch[ident].notice_type == "result"}
    wanted = sorted({org for found in orgs.values() for org in found})
    known = set(session.scalars(select(EnterpriseRow.org_number).where(EnterpriseRow.org_number.in_(wanted))))
    for ident in written:
        rows[ident].won = any(org in known for org in orgs.get(ident, ()))
    pairs = [{"tender_id": ident, "org_number": org} for ident, found in orgs.items() for org in found]
    if pairs:
        session.flush()  # the new tenders first: the winners point at them
        session.execute(insert(TenderWinnerRow), pairs)


def _new_row(tender: Tender, data: dict[str, Any], digest: str, now: datetime) -> TenderRow:
    row = TenderRow(id=tender.id, source=tender.source, notice_id=tender.notice_id, version=1, first_seen=now)
    _update_row(row, tender, data, digest, now, bump=False)
    return row


def _judge(row: TenderRow, verdict: Verdict | None, digest: str) -> None:
    if verdict is None:
        return
    row.score, row.label, row.reasons = verdict.score, verdict.label, verdict.reasons
    row.sectors = verdict.sectors
    row.social, row.reserved = judged(verdict.reasons)
    row.assessed_hash, row.classifier_version = digest, verdict.version


def _update_row(
    row: TenderRow, tender: Tender, data: dict[str, Any], digest: str, now: datetime, *, bump: bool = True
) -> None:
    row.notice_type = tender.notice_type
    row.title = tender.title
    row.buyer_country = tender.buyer_country
    row.published = tender.published
    row.deadline = tender.deadline
    row.procedure_key = procedure_key(tender.procedure_id)
    row.buyer_key = buyer_key(tender.buyer_org_id, tender.buyer_name)
    row.content_hash = digest
    row.data = data
    row.updated_at = now
    place = place_of(data, row.first_seen)
    row.county, row.municipality, row.day, row.month = place.county, place.municipality, place.day, place.month
    if bump:
        row.version += 1
