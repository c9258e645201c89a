"""The store: typed tables, Alembic migrations, an idempotent upsert that keeps history.

Everything reads and writes tenders, assessments and deliveries through ``Store``;
nothing else writes SQL. SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

import fcntl
import hashlib
import uuid
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from tenders import clock
from tenders.dedupe import buyer_key, procedure_key, same_procedure
from tenders.model import Tender, content_hash

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 7_242_424_242  # any constant: PostgreSQL advisory lock for migrations
BATCH = 500
STALE_SENDING = timedelta(minutes=10)  # a digest "sending" this long belongs to a run that died
# Our assumptions, not the provider's promises (see the README's delivery section): SendGrid's Email
# Activity API lists a message some minutes after accepting it, so "not there" is trusted only this
# long after the attempt; a lookup that cannot answer is retried for a day, then left to the operator.
LISTING_DELAY = timedelta(minutes=15)
LOOKUP_WINDOW = timedelta(hours=24)
TAKE_OVER = max(STALE_SENDING, LISTING_DELAY)  # a dead run's digest: stale, and long enough for a lookup
DELIVERED = ("sent", "partial")  # partial: the accepted recipients have it, the refused ones are suppressed


def utcnow() -> datetime:
    """Now in naive UTC, from the project's one clock (``tenders.clock``)."""
    return clock.utcnow()


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class TenderRow(Base):
    __tablename__ = "tenders"
    __table_args__ = (UniqueConstraint("source", "notice_id", name="uq_tenders_source_notice"),)

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    notice_id: Mapped[str] = mapped_column(String(200))
    notice_type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(Text)
    buyer_country: Mapped[str | None] = mapped_column(String(2))
    published: Mapped[str | None] = mapped_column(String(10))
    deadline: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]]
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    score: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(20))
    reasons: Mapped[list[Any] | None]
    assessed_hash: Mapped[str | None] = mapped_column(String(64))
    classifier_version: Mapped[str | None] = mapped_column(String(40))
    procedure_key: Mapped[str | None] = mapped_column(String(200), index=True)
    buyer_key: Mapped[str | None] = mapped_column(String(200), index=True)
    canonical_id: Mapped[str | None] = mapped_column(String(300), index=True)  # set: another tender stands for it


class TenderHistoryRow(Base):
    __tablename__ = "tender_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    replaced_at: Mapped[datetime] = mapped_column(DateTime)


class DigestRow(Base):
    """One email to one subscriber. Recorded before sending: it is the outbox."""

    __tablename__ = "digests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(5))
    tender_ids: Mapped[list[Any]]
    updated_ids: Mapped[list[Any] | None]  # tenders sent before, in again because they changed
    # queued | sending | sent | partial | failed (certainly not taken) | unsure (may be at the provider: look
    # it up first) | unknown (the lookup could not answer in time: the operator decides) | held | suppressed
    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)  # None: as soon as possible
    attempted_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    unsure_since: Mapped[datetime | None] = mapped_column(DateTime)  # the attempt that may have reached it


class DeliveryRow(Base):
    """(subscriber, tender) once: the key that keeps a tender from reaching anyone twice."""

    __tablename__ = "deliveries"

    subscriber: Mapped[str] = mapped_column(String(200), primary_key=True)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    digest_id: Mapped[str] = mapped_column(ForeignKey("digests.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SourceRunRow(Base):
    __tablename__ = "source_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    new: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class SubscriberRow(Base):
    """A subscriber who signed up (double opt-in); the proof of consent is kept with the profile."""

    __tablename__ = "subscribers"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    profile: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12))  # pending | active | unsubscribed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_ip: Mapped[str | None] = mapped_column(String(64))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime)


class SuppressionRow(Base):
    """An address that must get no more email: unsubscribed, bounced, or reported as spam."""

    __tablename__ = "suppressions"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class DocumentRow(Base):
    """What each source unit (a file, a package, a feed) looked like when last read."""

    __tablename__ = "documents"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(100))
    seen_at: Mapped[datetime] = mapped_column(DateTime)


class CoordinatorRow(Base):
    """A regional coordinator's login: the counties (NUTS 3) they see; an admin sees all."""

    __tablename__ = "coordinators"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    regions: Mapped[list[Any]]
    is_admin: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class EnterpriseRow(Base):
    """The register of social enterprises, imported from CSV: whose wins count as theirs."""

    __tablename__ = "social_enterprises"

    org_number: Mapped[str] = mapped_column(String(20), primary_key=True)  # digits only
    name: Mapped[str] = mapped_column(String(300))
    municipality: Mapped[str | None] = mapped_column(String(100))
    county: Mapped[str | None] = mapped_column(String(10))
    sectors: Mapped[list[Any]]
    imported_at: Mapped[datetime] = mapped_column(DateTime)


class FeedbackRow(Base):
    """A subscriber's "relevant" / "not relevant" on a tender from a digest."""

    __tablename__ = "feedback"

    subscriber: Mapped[str] = mapped_column(String(200), primary_key=True)
    tender_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    relevant: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)


@dataclass(slots=True)
class SourceHealth:
    source: str
    last_run: SourceRunRow
    last_produced: datetime | None = None
    runs: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    """A classifier's judgement of one tender, as the store keeps it."""

    score: float
    label: str
    reasons: list[dict[str, Any]]
    version: str


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


@dataclass(frozen=True, slots=True)
class Assessed:
    """A classified tender as matching and digests read it."""

    tender: Tender
    score: float
    label: str
    reasons: list[dict[str, Any]]
    content_hash: str
    also: tuple[Listing, ...] = ()  # the same procedure as other sources list it


@dataclass(frozen=True, slots=True)
class Listing:
    """Where else a procedure is listed: a linked notice's source, type and link."""

    tender_id: str
    source: str
    notice_type: str
    url: str | None


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"future": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to call every run, from many processes).

        Parallel tasks open the store at the same moment; without a lock two of them would
        both create the tables of a fresh database, and one would fail.
        """
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self._migration_lock(), self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    @contextmanager
    def _migration_lock(self) -> Generator[None, None, None]:
        database = make_url(self.url).database
        if make_url(self.url).get_backend_name() != "sqlite" or not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- tenders -------------------------------------------------------------------------

    def upsert(self, tenders: Iterable[Tender], verdicts: dict[str, Verdict] | None = None) -> UpsertResult:
        """Insert new tenders, update changed ones (old version to history), skip the same.

        A verdict given for a tender is stored with it. Each batch is one transaction: a
        crash leaves whole batches, never half a tender.
        """
        total = UpsertResult()
        batch: dict[str, Tender] = {}
        for tender in tenders:
            if tender.id in batch:  # the same notice twice in one batch: settle the first
                total.add(self._upsert_batch(batch, verdicts or {}))
                batch = {}
            batch[tender.id] = tender
            if len(batch) >= BATCH:
                total.add(self._upsert_batch(batch, verdicts or {}))
                batch = {}
        if batch:
            total.add(self._upsert_batch(batch, verdicts or {}))
        return total

    def _upsert_batch(self, batch: dict[str, Tender], verdicts: dict[str, Verdict]) -> UpsertResult:
        result = UpsertResult()
        now = utcnow()
        with self.session() as session, session.begin():
            existing = {row.id: row for row in session.scalars(select(TenderRow).where(TenderRow.id.in_(list(batch))))}
            for tender_id, tender in batch.items():
                data = tender.to_dict()
                digest = content_hash(data)
                row = existing.get(tender_id)
                verdict = verdicts.get(tender_id)
                if row is None:
                    row = _new_row(tender, data, digest, now)
                    _judge(row, verdict, digest)
                    session.add(row)
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
            added = [row for row in session.new if isinstance(row, TenderRow)]
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

    # -- deliveries ----------------------------------------------------------------------

    def delivered(self, subscriber: str) -> dict[str, str]:
        """The tenders claimed for this subscriber, with their content hash when claimed."""
        with self.session() as session:
            rows = session.execute(
                select(DeliveryRow.tender_id, DeliveryRow.content_hash).where(DeliveryRow.subscriber == subscriber)
            )
            return {tender_id: digest for tender_id, digest in rows}

    def delivered_all(self) -> dict[str, dict[str, str]]:
        """``delivered`` for every subscriber at once: one query, not one per subscriber."""
        out: dict[str, dict[str, str]] = {}
        with self.session() as session:
            for subscriber, tender_id, digest in session.execute(
                select(DeliveryRow.subscriber, DeliveryRow.tender_id, DeliveryRow.content_hash)
            ):
                out.setdefault(subscriber, {})[tender_id] = digest
        return out

    def delivered_ids(self, subscriber: str) -> set[str]:
        return set(self.delivered(subscriber))

    def queue_digest(
        self,
        subscriber: str,
        email: str,
        language: str,
        items: Sequence[Assessed],
        due_at: datetime | None = None,
    ) -> str | None:
        """Claim these tenders for this subscriber in a digest due at ``due_at`` (None: now).

        One transaction. A tender already claimed by an earlier digest is left out; the
        rest join the subscriber's digest already queued for the same time, or a new one.
        Returns the digest's id, or None when nothing was left to claim.
        """
        now = utcnow()
        with self.session() as session, session.begin():
            claimed = {
                row.tender_id: row
                for row in session.scalars(
                    select(DeliveryRow).where(
                        DeliveryRow.subscriber == subscriber,
                        DeliveryRow.tender_id.in_([i.tender.id for i in items]),
                    )
                )
            }
            unsent = {
                d.id
                for d in session.scalars(
                    select(DigestRow).where(
                        DigestRow.id.in_({row.digest_id for row in claimed.values()}),
                        DigestRow.status.not_in(DELIVERED),
                    )
                )
            }
            fresh: list[Assessed] = []
            changed: list[Assessed] = []
            for item in items:
                row = claimed.get(item.tender.id)
                if row is None:
                    fresh.append(item)
                elif row.content_hash != item.content_hash:
                    row.content_hash = item.content_hash
                    if row.digest_id not in unsent:  # still queued: that digest shows the new content anyway
                        changed.append(item)
            if not fresh and not changed:
                return None
            digest = session.scalars(
                select(DigestRow).where(
                    DigestRow.subscriber == subscriber,
                    DigestRow.status == "queued",
                    DigestRow.due_at == due_at if due_at is not None else DigestRow.due_at.is_(None),
                )
            ).first()
            if digest is None:
                digest = DigestRow(
                    id=str(uuid.uuid4()),
                    subscriber=subscriber,
                    email=email,
                    language=language,
                    tender_ids=[],
                    status="queued",
                    attempts=0,
                    created_at=now,
                    due_at=due_at,
                )
                session.add(digest)
                session.flush()
            digest.tender_ids = [*digest.tender_ids, *(i.tender.id for i in fresh + changed)]
            digest.updated_ids = [*(digest.updated_ids or []), *(i.tender.id for i in changed)]
            for item in changed:
                claimed[item.tender.id].digest_id = digest.id
            for item in fresh:
                session.add(
                    DeliveryRow(
                        subscriber=subscriber,
                        tender_id=item.tender.id,
                        content_hash=item.content_hash,
                        digest_id=digest.id,
                        created_at=now,
                    )
                )
            return digest.id

    def due_digests(self, now: datetime | None = None) -> list[DigestRow]:
        """Digests whose time has come, failed ones to retry (a failed send is never dropped), ones
        that may be at the provider once a lookup can tell (``LISTING_DELAY``), and ones left
        "sending" by a run that died (``TAKE_OVER``: stale, and old enough for a lookup)."""
        now = now or utcnow()
        with self.session() as session:
            return list(
                session.scalars(
                    select(DigestRow)
                    .where(
                        (DigestRow.status == "failed")
                        | ((DigestRow.status == "queued") & (DigestRow.due_at.is_(None) | (DigestRow.due_at <= now)))
                        | ((DigestRow.status == "sending") & (DigestRow.attempted_at < now - TAKE_OVER))
                        | ((DigestRow.status == "unsure") & (DigestRow.unsure_since <= now - LISTING_DELAY))
                    )
                    .order_by(DigestRow.created_at)
                )
            )

    # -- delivery state: taking a digest is a compare-and-set -----------------------------------

    def claim_digest(self, digest_id: str, seen: str, now: datetime | None = None) -> bool:
        """Take the digest for this run if it is still as the run saw it; True for the one run that wins.

        One ``UPDATE ... WHERE status = seen`` committed before the provider is asked or called, and
        judged by its row count: of two runs at once (Airflow and ``tender-radar run``, or two
        machines) only one gets the digest, on SQLite and PostgreSQL alike. A digest that may be
        at the provider is taken only once a lookup can be trusted; one left "sending" only once
        its run is stale, and it becomes unsure from that run's attempt.
        """
        now = now or utcnow()
        condition = DigestRow.status == seen
        values: dict[str, Any] = {"status": "sending", "attempted_at": now, "attempts": DigestRow.attempts + 1}
        if seen == "sending":
            condition &= DigestRow.attempted_at < now - TAKE_OVER
            values["unsure_since"] = DigestRow.attempted_at
        elif seen == "unsure":
            condition &= DigestRow.unsure_since <= now - LISTING_DELAY
        elif seen not in ("queued", "failed"):
            return False
        with self.engine.begin() as connection:
            result = connection.execute(update(DigestRow).where(DigestRow.id == digest_id, condition).values(values))
            return int(result.rowcount) == 1

    def digest_unsure(self, digest_id: str, error: str, since: datetime | None = None) -> None:
        """The provider may have it (an answer lost, a lookup that could not tell): ask it before resending."""
        self._set_digest(digest_id, status="unsure", last_error=error, unsure_since=since)

    def digest_unknown(self, digest_id: str, error: str) -> None:
        """Whether the provider has it could not be found out in ``LOOKUP_WINDOW``: the operator decides."""
        self._set_digest(digest_id, status="unknown", last_error=error)

    def digest_partly_refused(self, digest_id: str, provider_ref: str | None, note: str, retry_to: str | None) -> None:
        """Some recipients have it. ``retry_to``: the addresses refused for now, which alone get it again."""
        if retry_to:
            self._set_digest(digest_id, status="failed", email=retry_to, last_error=note, provider_ref=provider_ref)
        else:
            self._set_digest(digest_id, status="partial", last_error=note, provider_ref=provider_ref, sent_at=utcnow())

    def resolve_unknown(self, *, resend: bool) -> int:
        """The operator's answer for every unknown digest: send it again, or it was sent."""
        with self.session() as session, session.begin():
            rows = list(session.scalars(select(DigestRow).where(DigestRow.status == "unknown")))
            for row in rows:
                if resend:
                    row.status = "failed"
                else:
                    row.status, row.sent_at = "sent", utcnow()
            return len(rows)

    def _set_digest(self, digest_id: str, **values: Any) -> None:
        with self.session() as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is not None:
                for name, value in values.items():
                    if value is not None or name == "last_error":
                        setattr(row, name, value)

    def waiting_digests(self) -> list[DigestRow]:
        """Queued digests not yet due: they wait for their subscriber's time."""
        with self.session() as session:
            return list(
                session.scalars(
                    select(DigestRow)
                    .where(DigestRow.status == "queued", DigestRow.due_at.is_not(None))
                    .order_by(DigestRow.due_at)
                )
            )

    def assessed_by_ids(self, ids: Sequence[str]) -> list[Assessed]:
        with self.session() as session:
            rows = {r.id: r for r in session.scalars(select(TenderRow).where(TenderRow.id.in_(list(ids))))}
            members = _members(session, list(rows))
        return [_assessed(rows[i], members.get(i, ())) for i in ids if i in rows]

    def mark_digest(
        self,
        digest_id: str,
        *,
        sent: bool,
        provider_ref: str | None = None,
        error: str | None = None,
        retryable: bool = True,
        maybe_sent: bool = False,
    ) -> None:
        """Record the outcome. A failure a retry cannot fix (the provider refused the request
        itself) is held for an operator instead of being retried every hour; one after which the
        provider may have the message is unsure, looked up before it is sent again."""
        with self.session() as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is None:
                return
            if sent:
                row.status, row.sent_at, row.provider_ref, row.last_error = "sent", utcnow(), provider_ref, None
            elif maybe_sent:
                row.status, row.last_error, row.unsure_since = "unsure", error, row.attempted_at or utcnow()
            else:
                row.status, row.last_error = ("failed" if retryable else "held"), error

    def release_held(self) -> int:
        """Held digests back to the retry queue (after the cause was fixed)."""
        with self.session() as session, session.begin():
            held = list(session.scalars(select(DigestRow).where(DigestRow.status == "held")))
            for row in held:
                row.status = "failed"
            return len(held)

    def digests(self) -> list[DigestRow]:
        with self.session() as session:
            return list(session.scalars(select(DigestRow).order_by(DigestRow.created_at)))

    # -- sign-ups ------------------------------------------------------------------------

    def sign_up(self, key: str, email: str, profile: dict[str, Any]) -> None:
        """A new (or renewed) sign-up, pending until its confirmation link is used."""
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            if row is None:
                session.add(SubscriberRow(key=key, email=email, profile=profile, status="pending", created_at=utcnow()))
            elif row.status != "active":
                row.email, row.profile, row.status, row.unsubscribed_at = email, profile, "pending", None
            else:
                row.profile = profile

    def update_profile(self, key: str, profile: dict[str, Any]) -> bool:
        """A subscriber's own changes; the address and the consent stay as they were."""
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            if row is None:
                return False
            row.profile = {**profile, "key": key}
            return True

    def confirm(self, key: str, ip: str | None) -> bool:
        """Record the confirmation (time and IP, the proof of consent); False if there is no such sign-up."""
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            if row is None:
                return False
            if row.status != "active":
                row.status, row.confirmed_at, row.confirmed_ip = "active", utcnow(), ip
            return True

    def end_subscription(self, key: str) -> None:
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            if row is not None and row.status != "unsubscribed":
                row.status, row.unsubscribed_at = "unsubscribed", utcnow()

    def signed_up(self, status: str | None = None) -> list[SubscriberRow]:
        with self.session() as session:
            query = select(SubscriberRow).order_by(SubscriberRow.created_at)
            if status:
                query = query.where(SubscriberRow.status == status)
            return list(session.scalars(query))

    def subscriber_data(self, key: str) -> dict[str, Any]:
        """Everything kept about one subscriber, for a data-access request."""
        with self.session() as session:
            row = session.get(SubscriberRow, key)
            digests = session.scalars(
                select(DigestRow).where(DigestRow.subscriber == key).order_by(DigestRow.created_at)
            )
            deliveries = session.scalars(select(DeliveryRow).where(DeliveryRow.subscriber == key))
            return {
                "key": key,
                "sign_up": None if row is None else {
                    "email": row.email, "profile": row.profile, "status": row.status,
                    "created_at": _iso(row.created_at), "confirmed_at": _iso(row.confirmed_at),
                    "confirmed_ip": row.confirmed_ip, "unsubscribed_at": _iso(row.unsubscribed_at),
                },
                "digests": [
                    {"id": d.id, "email": d.email, "status": d.status, "created_at": _iso(d.created_at),
                     "sent_at": _iso(d.sent_at), "tender_ids": d.tender_ids}
                    for d in digests
                ],
                "tenders_sent": sorted(d.tender_id for d in deliveries),
            }  # fmt: skip

    def erase_subscriber(self, key: str) -> bool:
        """Delete a subscriber's data; their address stays suppressed, kept only as a hash."""
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            addresses = {d.email for d in session.scalars(select(DigestRow).where(DigestRow.subscriber == key))}
            if row is not None:
                addresses.add(row.email)
            session.execute(delete(DeliveryRow).where(DeliveryRow.subscriber == key))
            session.execute(delete(DigestRow).where(DigestRow.subscriber == key))
            session.execute(delete(SubscriberRow).where(SubscriberRow.key == key))
            for address in addresses:
                session.execute(delete(SuppressionRow).where(SuppressionRow.address == address.lower()))
                hashed = address_hash(address)
                if session.get(SuppressionRow, hashed) is None:
                    session.add(SuppressionRow(address=hashed, reason="erased", detail=None, created_at=utcnow()))
            return row is not None or bool(addresses)

    # -- suppressions --------------------------------------------------------------------

    def suppress(self, address: str, reason: str, detail: str | None = None) -> bool:
        """Stop all email to ``address``; False if it was already suppressed (the first reason stays)."""
        with self.session() as session, session.begin():
            if session.get(SuppressionRow, address.strip().lower()) is not None:
                return False
            session.add(
                SuppressionRow(address=address.strip().lower(), reason=reason, detail=detail, created_at=utcnow())
            )
            return True

    def suppressed(self) -> dict[str, str]:
        """Suppressed addresses -> reason. Erased subscribers appear only as ``address_hash``es."""
        with self.session() as session:
            return dict(session.execute(select(SuppressionRow.address, SuppressionRow.reason)).all())

    def is_suppressed(self, address: str) -> str | None:
        blocked = self.suppressed()
        return blocked.get(address.strip().lower()) or blocked.get(address_hash(address))

    def mark_suppressed(self, digest_id: str, reason: str) -> None:
        with self.session() as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is not None:
                row.status, row.last_error = "suppressed", reason

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
                out[row.source] = SourceHealth(source=row.source, last_run=row)
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

    def recent_runs(self, limit: int = 10) -> list[SourceRunRow]:
        with self.session() as session:
            return list(session.scalars(select(SourceRunRow).order_by(SourceRunRow.id.desc()).limit(limit)))

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


def _assessed(row: TenderRow, members: Sequence[TenderRow] = ()) -> Assessed:
    """The tender as its procedure stands: a later change notice of it, from any source,
    moves the deadline, and that change alone makes it "updated" for those already told."""
    tender = Tender.from_dict(row.data)
    digest = row.content_hash
    changes = sorted(
        (m for m in members if m.notice_type in ("competition", "change") and m.deadline),
        key=lambda m: (m.published or "", m.first_seen),
    )
    latest = changes[-1] if changes else None
    if latest and latest.deadline != tender.deadline and (latest.published or "") >= (tender.published or ""):
        tender.deadline = latest.deadline
        digest = hashlib.sha256(f"{digest}|{tender.deadline}".encode()).hexdigest()
    return Assessed(
        tender=tender,
        score=row.score or 0.0,
        label=row.label or "unlikely",
        reasons=list(row.reasons or []),
        content_hash=digest,
        also=tuple(_listing(m) for m in members),
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


def _head(heads: dict[str, dict[str | None, str]], row: TenderRow) -> str | None:
    """The tender standing for this notice's procedure id, unless the buyers say otherwise: a
    procedure id is one buyer's, and converted notices have been seen sharing one by mistake."""
    by_buyer = heads.get(row.procedure_key or "")
    if not by_buyer:
        return None
    if row.buyer_key is None:
        return next(iter(by_buyer.values()))
    return by_buyer.get(row.buyer_key) or by_buyer.get(None)


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
    order = sorted(
        added,
        key=lambda r: (r.notice_type == "result", r.notice_type == "change", r.published or "9999", r.id),
    )
    unlinked = []
    for row in order:
        head = _head(heads, row)
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
        for old in candidates.get(row.buyer_key, ()):
            if old.id != row.id and old.canonical_id is None and same_procedure(row, old):
                row.canonical_id = old.id
                targets.add(old.id)
                linked += 1
                break
    moved = {row.id: row.canonical_id for row in unlinked if row.canonical_id}
    for row in added:  # a notice linked by procedure id to one that has just been linked itself
        if row.canonical_id in moved:
            row.canonical_id = moved[row.canonical_id]
    return linked


def _new_row(tender: Tender, data: dict[str, Any], digest: str, now: datetime) -> TenderRow:
    row = TenderRow(id=tender.id, source=tender.source, notice_id=tender.notice_id, version=1, first_seen=now)
    _update_row(row, tender, data, digest, now, bump=False)
    return row


def _judge(row: TenderRow, verdict: Verdict | None, digest: str) -> None:
    if verdict is None:
        return
    row.score, row.label, row.reasons = verdict.score, verdict.label, verdict.reasons
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
    if bump:
        row.version += 1


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def new_schema(base_url: str, prefix: str) -> str:
    """A new, empty PostgreSQL schema; returns a URL that works in it (for tests and benchmarks)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{base_url}?options=-csearch_path%3D{schema}"


def drop_schema(url: str) -> None:
    """Drop the schema a ``new_schema`` URL points at, with everything in it."""
    base, _, schema = url.partition("?options=-csearch_path%3D")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def address_hash(address: str) -> str:
    """How an erased subscriber's address is remembered: enough to refuse it, not to read it."""
    return "sha256:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
