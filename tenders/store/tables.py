"""The tables, as SQLAlchemy 2 maps them; the migrations in ``tenders/migrations`` create them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tenders import clock


def utcnow() -> datetime:
    """Now in naive UTC, from the project's one clock (``tenders.clock``)."""
    return clock.utcnow()


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


FACTS_INDEX = ("county", "month", "notice_type", "municipality", "social", "reserved", "won", "canonical_id", "id")
LAST_SEEN_INDEX = ("county", "municipality", "day", "notice_type", "canonical_id")
PLACED, IN_TOWN = text("county IS NOT NULL"), text("municipality IS NOT NULL")


class TenderRow(Base):
    __tablename__ = "tenders"
    __table_args__ = (
        UniqueConstraint("source", "notice_id", name="uq_tenders_source_notice"),
        # The figures read only these indexes (they cover the queries), and only placed tenders are in them.
        Index("ix_tenders_facts", *FACTS_INDEX, sqlite_where=PLACED, postgresql_where=PLACED),
        Index("ix_tenders_municipality_day", *LAST_SEEN_INDEX, sqlite_where=IN_TOWN, postgresql_where=IN_TOWN),
    )

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
    sectors: Mapped[list[Any] | None]  # what it buys, as the verdict says (matching.classify.Assessment.sectors)
    assessed_hash: Mapped[str | None] = mapped_column(String(64))
    classifier_version: Mapped[str | None] = mapped_column(String(40))
    procedure_key: Mapped[str | None] = mapped_column(String(200), index=True)
    buyer_key: Mapped[str | None] = mapped_column(String(200), index=True)
    canonical_id: Mapped[str | None] = mapped_column(String(300), index=True)  # set: another tender stands for it
    # The facts the coordinators' figures group by (tenders/facts.py); set on every write and re-assessment.
    county: Mapped[str | None] = mapped_column(String(5))
    municipality: Mapped[str | None] = mapped_column(String(100))
    day: Mapped[str | None] = mapped_column(String(10))
    month: Mapped[str | None] = mapped_column(String(7))
    social: Mapped[bool] = mapped_column(Boolean, default=False)
    reserved: Mapped[bool] = mapped_column(Boolean, default=False)
    won: Mapped[bool] = mapped_column(Boolean, default=False)  # a winner is in the register of social enterprises


class TenderWinnerRow(Base):
    """Who won a result, by organisation number: ``won`` follows the register through it."""

    __tablename__ = "tender_winners"

    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    org_number: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class TenderHistoryRow(Base):
    __tablename__ = "tender_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    replaced_at: Mapped[datetime] = mapped_column(DateTime)


DELIVERED = ("sent", "partial")  # digest states that reached the subscriber; partial: the refused are suppressed


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
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)  # fmt: skip
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


class PipelineRunRow(Base):
    """One ``tender-radar run``: opened when it starts, closed when it ends. A run killed on the
    way (SIGKILL, a lost machine) stays open, and ``status`` shows it."""

    __tablename__ = "pipeline_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(Text)  # done | failed: ... | terminated | closed by the operator


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
    email: Mapped[str | None] = mapped_column(String(320))  # where the October report goes (migration 0011)


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


# -- what the web app remembers to defend itself (migration 0013_security) ---------------------


class ThrottleRow(Base):
    """One event that counts against a limit: a confirmation sent, a sign-up, a failed login.
    The subject (address, client IP, user name) is kept as a SHA-256 hash only."""

    __tablename__ = "throttle_events"
    __table_args__ = (Index("ix_throttle_kind_subject_at", "kind", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime)


class WebhookEventRow(Base):
    """A provider event already taken: a replay of the same event id is ignored."""

    __tablename__ = "webhook_events"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class SessionRow(Base):
    """A coordinator's login session; logging out deletes it, so a copied cookie dies with it.
    The id is the SHA-256 of the random value in the cookie: a database dump opens no session."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class SignUpProposalRow(Base):
    """A sign-up for an address that already has a subscription (any status): nothing changes
    until the owner of the address uses the link sent there."""

    __tablename__ = "sign_up_proposals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str] = mapped_column(String(320))
    profile: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(DateTime)


# -- national statistics (Upphandlingsmyndigheten's exports) and the October report's mailings (0011) --


class _Procurement:
    """The columns every export repeats: the procurement and its buyer, and whom it was attributed to.

    ``attributed_by`` says how the municipality or region was found: "org_number", "name", or "title"
    for a joint body's purchase named after a member municipality.
    """

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
