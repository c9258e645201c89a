"""One upsert batch in plain SQL, one transaction: new tenders in one COPY (PostgreSQL) or an
executemany INSERT (SQLite), changed and re-judged ones in executemany UPDATEs, the replaced
versions copied to history by the database.

Why not ORM objects: building them and the unit of work's flush were 70 % of the collector's
time in the ingest's profile (docs/ingest-profile.md). What is stored is what the ORM stored:
the same columns, SQL NULL where a tender has no verdict, the same links and winners.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, insert, literal, select, update

from tenders.dedupe import buyer_key, head_of, linking_order, listed_before, procedure_key
from tenders.facts import judged, place_of, winner_orgs
from tenders.model import Tender, content_hash
from tenders.results import Verdict
from tenders.store.pg_copy import copy_rows
from tenders.store.tables import EnterpriseRow, TenderHistoryRow, TenderRow, TenderWinnerRow

TENDERS = cast(Table, TenderRow.__table__)
HISTORY = cast(Table, TenderHistoryRow.__table__)
WINNERS = cast(Table, TenderWinnerRow.__table__)
_KEY = "key_id"  # the bound name of the row an UPDATE is for ("id" is a column it may set)


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


@dataclass(slots=True)
class NewNotice:
    """What linking reads of a tender this batch inserts (``tenders.dedupe.Member``)."""

    id: str
    source: str
    notice_type: str
    title: str | None
    deadline: str | None
    published: str | None
    first_seen: datetime
    procedure_key: str | None
    buyer_key: str | None
    canonical_id: str | None = None


def write_batch(
    conn: Connection, batch: Mapping[str, Tender], verdicts: Mapping[str, Verdict], hashes: Mapping[str, str],
    now: datetime,
) -> UpsertResult:  # fmt: skip
    """Insert the new, update the changed (old version to history), re-judge the unchanged whose
    verdict is of another classifier version; then winners, then links. The caller's transaction."""
    result = UpsertResult()
    t = TENDERS.c
    known = select(t.id, t.version, t.content_hash, t.classifier_version, t.first_seen).where(t.id.in_(list(batch)))
    existing = {row.id: row for row in conn.execute(known)}
    fresh: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    rejudged: list[dict[str, Any]] = []
    results: dict[str, list[str]] = {}  # winners of each new or changed result
    for tender_id, tender in batch.items():
        data = tender.to_dict()
        digest = hashes.get(tender_id) or content_hash(data)
        old = existing.get(tender_id)
        verdict = verdicts.get(tender_id)
        if old is not None and old.content_hash == digest:
            if verdict is not None and old.classifier_version != verdict.version:
                rejudged.append({_KEY: tender_id, **judged_columns(verdict, digest)})
            result.unchanged += 1
            continue
        if tender.notice_type == "result":
            results[tender_id] = winner_orgs(data)
        first_seen = now if old is None else old.first_seen
        values = {**tender_columns(tender, data, digest, now, first_seen), **judged_columns(verdict, digest)}
        if old is None:
            fresh.append({"id": tender_id, "source": tender.source, "notice_id": tender.notice_id, "version": 1,
                          "first_seen": now, "canonical_id": None, "social": False, "reserved": False,
                          **values})  # fmt: skip
            result.new.append(tender_id)
        else:
            changed.append({_KEY: tender_id, "version": old.version + 1, **values})
            result.changed.append(tender_id)
    won = _registered(conn, results)
    for row in fresh:
        row["won"] = won.get(row["id"], False)
    for row in changed:
        row["won"] = won.get(row[_KEY], False)
    if changed:
        replaced = select(t.id, t.version, t.content_hash, t.data, literal(now, HISTORY.c.replaced_at.type))
        columns = ["tender_id", "version", "content_hash", "data", "replaced_at"]
        conn.execute(insert(HISTORY).from_select(columns, replaced.where(t.id.in_(result.changed)).order_by(t.id)))
        _update_many(conn, changed)
        conn.execute(delete(WINNERS).where(WINNERS.c.tender_id.in_(result.changed)))
    _update_many(conn, rejudged)
    _insert_many(conn, TENDERS, fresh)
    pairs = [{"tender_id": ident, "org_number": org} for ident, orgs in results.items() for org in orgs]
    _insert_many(conn, WINNERS, pairs)
    if fresh:
        notices = [_notice(values) for values in fresh]
        result.linked = link(conn, notices)
        _update_many(conn, [{_KEY: n.id, "canonical_id": n.canonical_id} for n in notices if n.canonical_id])
    return result


def tender_columns(
    tender: Tender, data: dict[str, Any], digest: str, now: datetime, first_seen: datetime
) -> dict[str, Any]:
    """The columns a tender's content sets, its facts for the figures among them."""
    place = place_of(data, first_seen)
    return {
        "notice_type": tender.notice_type, "title": tender.title, "buyer_country": tender.buyer_country,
        "published": tender.published, "deadline": tender.deadline, "procedure_key": procedure_key(tender.procedure_id),
        "buyer_key": buyer_key(tender.buyer_org_id, tender.buyer_name), "content_hash": digest, "data": data,
        "updated_at": now, "county": place.county, "municipality": place.municipality, "day": place.day,
        "month": place.month,
    }  # fmt: skip


def judged_columns(verdict: Verdict | None, digest: str) -> dict[str, Any]:
    """The columns a verdict sets; none without one (a new tender's stay NULL until classified)."""
    if verdict is None:
        return {}
    social, reserved = judged(verdict.reasons)
    return {
        "score": verdict.score, "label": verdict.label, "reasons": verdict.reasons, "sectors": verdict.sectors,
        "social": social, "reserved": reserved, "assessed_hash": digest, "classifier_version": verdict.version,
    }  # fmt: skip


def link(conn: Connection, added: Sequence[NewNotice]) -> int:
    """Link each new notice to the tender that already stands for its procedure, if any; sets
    ``canonical_id`` on the notices (stored already, unlinked) and returns how many were linked.

    By procedure id first (a TED change notice, the same procedure elsewhere), else by
    buyer, title and deadline against other sources. The earliest notice stands for the
    procedure; links never chain.
    """
    t = TENDERS.c
    linked = 0
    new = {notice.id: notice for notice in added}
    heads: dict[str, dict[str | None, str]] = {}  # procedure key -> buyer key -> the id standing for it
    keys = {notice.procedure_key for notice in added if notice.procedure_key}
    if keys:
        # Only the tenders standing for a procedure, and only their keys: a procedure id shared by
        # thousands of notices (call-offs, a converter's placeholder) costs one row per buyer.
        existing = conn.execute(
            select(t.procedure_key, t.buyer_key, t.id)
            .where(t.procedure_key.in_(list(keys)), t.canonical_id.is_(None), t.id.not_in(list(new)))
            .order_by(t.first_seen, t.id)
        )
        for key, buyer, ident in existing:
            heads.setdefault(str(key), {}).setdefault(buyer, ident)
    unlinked = []
    for notice in sorted(added, key=linking_order):
        head = head_of(heads, notice.procedure_key, notice.buyer_key)
        if head is None:
            if notice.procedure_key:
                heads.setdefault(notice.procedure_key, {}).setdefault(notice.buyer_key, notice.id)
            unlinked.append(notice)
        else:
            notice.canonical_id = head
            linked += 1
    buyers = {notice.buyer_key for notice in unlinked if notice.buyer_key}
    if not buyers:
        return linked
    query = select(t.id, t.source, t.notice_type, t.title, t.deadline, t.published, t.first_seen, t.buyer_key,
                   t.canonical_id).where(t.buyer_key.in_(list(buyers)), t.canonical_id.is_(None),
                                         t.notice_type != "result")  # fmt: skip
    sources = {notice.source for notice in unlinked}
    if len(sources) == 1:  # the usual batch: one source, and only other sources can list it again
        query = query.where(t.source != next(iter(sources)))
    candidates: dict[str, list[Any]] = {}
    for row in conn.execute(query.order_by(t.first_seen, t.id)):
        stored = new.get(row.id, row)  # this batch's own notices as linked so far, not as stored
        if stored.canonical_id is None:
            candidates.setdefault(str(row.buyer_key), []).append(stored)
    targets: set[str] = set()
    for notice in unlinked:
        if notice.id in targets or not notice.buyer_key:
            continue
        old = listed_before(notice, candidates.get(notice.buyer_key, ()))
        if old is not None:
            notice.canonical_id = old.id
            targets.add(old.id)
            linked += 1
    moved = {notice.id: notice.canonical_id for notice in unlinked if notice.canonical_id}
    for notice in added:  # a notice linked by procedure id to one that has just been linked itself
        if notice.canonical_id in moved:
            notice.canonical_id = moved[notice.canonical_id]
    return linked


def _notice(values: Mapping[str, Any]) -> NewNotice:
    return NewNotice(
        id=values["id"], source=values["source"], notice_type=values["notice_type"], title=values["title"],
        deadline=values["deadline"], published=values["published"], first_seen=values["first_seen"],
        procedure_key=values["procedure_key"], buyer_key=values["buyer_key"],
    )  # fmt: skip


def _registered(conn: Connection, results: Mapping[str, Sequence[str]]) -> dict[str, bool]:
    """Whether the register of social enterprises knows one of each result's winners (``won``)."""
    wanted = sorted({org for orgs in results.values() for org in orgs})
    if not wanted:
        return {}
    known = set(conn.scalars(select(EnterpriseRow.org_number).where(EnterpriseRow.org_number.in_(wanted))))
    return {ident: any(org in known for org in orgs) for ident, orgs in results.items()}


def _insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """COPY on PostgreSQL, executemany on SQLite; one statement per set of columns: a column
    left out is SQL NULL, never JSON ``null``."""
    for group in _by_columns(rows):
        if conn.dialect.name == "postgresql":
            copy_rows(conn, table, group)
        else:
            conn.execute(insert(table), group)


def _update_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATEs of tenders by id, executemany: each row's other keys are the columns it sets."""
    for group in _by_columns(rows):
        conn.execute(update(TENDERS).where(TENDERS.c.id == bindparam(_KEY)), group)


def _by_columns(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows grouped by the columns they set (a statement names the same columns for each row)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return list(groups.values())
