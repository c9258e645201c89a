"""Buyers in the store: organisations, their logins and API tokens, the notices they publish,
the interest enterprises show in them, and the audit log of who did what.

The tables sit on the store's metadata (migration ``0014_buyers``); a published notice
itself is an ordinary row in ``tenders`` (source ``buyer:<org number>``), so it goes
through classification, matching and the outbox like every other source. Nothing here
keeps an API token: only its SHA-256, which is enough to recognise it and useless to use.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from tenders.store.composed import Store
from tenders.store.outbox import STALE_SENDING
from tenders.store.tables import Base, utcnow


class BuyerOrgRow(Base):
    """A buying organisation: a municipality, a region, a joint procurement body."""

    __tablename__ = "buyer_orgs"

    org_number: Mapped[str] = mapped_column(String(10), primary_key=True)  # ten digits, Luhn-checked
    name: Mapped[str] = mapped_column(String(300), unique=True)
    regions: Mapped[list[Any]] = mapped_column(JSON)  # NUTS codes it buys for (a county stands for its municipalities)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class BuyerTokenRow(Base):
    """An API token of an organisation: its hash, a name to revoke it by, when it was last used."""

    __tablename__ = "buyer_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_number: Mapped[str] = mapped_column(ForeignKey("buyer_orgs.org_number", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class BuyerUserRow(Base):
    """A login (the coordinators' table: same password, session and brake) with the role buyer."""

    __tablename__ = "buyer_users"

    username: Mapped[str] = mapped_column(ForeignKey("coordinators.username", ondelete="CASCADE"), primary_key=True)
    org_number: Mapped[str] = mapped_column(ForeignKey("buyer_orgs.org_number", ondelete="CASCADE"), index=True)


class BuyerNoticeRow(Base):
    """Which organisation owns a published tender, and where it stands."""

    __tablename__ = "buyer_notices"

    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    org_number: Mapped[str] = mapped_column(ForeignKey("buyer_orgs.org_number", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # planned | open | withdrawn
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class InterestRow(Base):
    """A subscribed enterprise raised its hand for a notice; sharing its contact is its own choice."""

    __tablename__ = "buyer_interest"

    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(200), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(300))
    org_number: Mapped[str | None] = mapped_column(String(10))
    municipality: Mapped[str | None] = mapped_column(String(100))
    sectors: Mapped[list[Any]] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(320))  # kept only while the enterprise shares it
    note: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[str | None] = mapped_column(String(300))
    joint_bid: Mapped[bool] = mapped_column(Boolean)
    share_contact: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditRow(Base):
    """Who did what, when: every publish, edit, withdrawal and invitation."""

    __tablename__ = "buyer_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "token:<name>" or "user:<username>"
    org_number: Mapped[str] = mapped_column(String(10), index=True)
    action: Mapped[str] = mapped_column(String(20))  # publish | edit | withdraw | invite | token | revoke
    tender_id: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class InvitationRow(Base):
    """A dialogue invitation's number, claimed before it is sent: (notice, number) once, so that
    two posts at the same instant take two numbers and the cap per notice holds exactly."""

    __tablename__ = "buyer_invitations"

    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class BuyerMessageRow(Base):
    """The buyers' outbox: reminders to interested enterprises and dialogue invitations.

    (kind, subscriber, tender) once: the key that keeps a reminder from going out twice. Like a
    digest, a message is recorded before it is sent, and marked "sending" before the provider is
    called, so that a crash in between is recovered by asking the provider, not by sending again.
    """

    __tablename__ = "buyer_messages"
    __table_args__ = (UniqueConstraint("kind", "subscriber", "tender_id", name="uq_buyer_messages_once"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))  # advertised | deadline | invitation:<n>
    subscriber: Mapped[str] = mapped_column(String(200), index=True)
    tender_id: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), index=True)  # queued|sending|sent|failed|held|suppressed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempted_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


@dataclass(frozen=True, slots=True)
class BuyerOrg:
    org_number: str
    name: str
    regions: tuple[str, ...]
    contact_email: str | None = None

    @property
    def source(self) -> str:
        """The source name its notices carry."""
        return f"buyer:{self.org_number}"

    @property
    def formatted_number(self) -> str:
        return f"{self.org_number[:6]}-{self.org_number[6:]}"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    org_number: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class OwnedNotice:
    tender_id: str
    org_number: str
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Interest:
    """An enterprise's raised hand, as callers read it (the contact only while shared)."""

    tender_id: str
    subscriber: str
    organisation: str
    org_number: str | None
    municipality: str | None
    sectors: tuple[str, ...]
    email: str | None
    note: str | None
    capacity: str | None
    joint_bid: bool
    share_contact: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    org_number: str
    action: str
    tender_id: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class BuyerMessage:
    """One message of the buyers' outbox, as the sending step reads it."""

    id: str
    kind: str
    subscriber: str
    tender_id: str
    email: str
    reply_to: str | None
    subject: str
    body: str
    status: str
    attempts: int


def _interest_of(r: InterestRow) -> Interest:
    return Interest(r.tender_id, r.subscriber, r.organisation, r.org_number, r.municipality, tuple(r.sectors),
                    r.email, r.note, r.capacity, r.joint_bid, r.share_contact, r.created_at)  # fmt: skip


def _entry(r: AuditRow) -> AuditEntry:
    return AuditEntry(r.at, r.actor, r.org_number, r.action, r.tender_id, r.detail)


def _message(r: BuyerMessageRow) -> BuyerMessage:
    return BuyerMessage(r.id, r.kind, r.subscriber, r.tender_id, r.email, r.reply_to, r.subject, r.body, r.status,
                        r.attempts)  # fmt: skip


class BuyerStoreError(ValueError):
    """A name or number already taken, a token name unknown: the message says which."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _org(row: BuyerOrgRow) -> BuyerOrg:
    return BuyerOrg(row.org_number, row.name, tuple(row.regions), row.contact_email)


def _notice(row: BuyerNoticeRow) -> OwnedNotice:
    return OwnedNotice(row.tender_id, row.org_number, row.status, row.created_by, row.created_at, row.updated_at)


class BuyerStore:
    """The buyers' part of the store; it shares the store's engine and transactions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- organisations -----------------------------------------------------------------------

    def add_org(self, org_number: str, name: str, regions: Sequence[str], contact_email: str | None = None) -> BuyerOrg:
        with self.store.session() as session, session.begin():
            if session.get(BuyerOrgRow, org_number) is not None:
                raise BuyerStoreError(f"organisation number {org_number} is already registered")
            if session.scalars(select(BuyerOrgRow).where(BuyerOrgRow.name == name)).first() is not None:
                raise BuyerStoreError(f"a buyer named {name!r} is already registered")
            row = BuyerOrgRow(org_number=org_number, name=name, regions=list(regions), contact_email=contact_email,
                              created_at=utcnow())  # fmt: skip
            session.add(row)
        return _org(row)

    def org(self, org_number: str) -> BuyerOrg | None:
        with self.store.session() as session:
            row = session.get(BuyerOrgRow, org_number)
            return _org(row) if row else None

    def org_by_name(self, name: str) -> BuyerOrg | None:
        with self.store.session() as session:
            row = session.scalars(select(BuyerOrgRow).where(BuyerOrgRow.name == name)).first()
            return _org(row) if row else None

    def orgs(self) -> list[BuyerOrg]:
        with self.store.session() as session:
            return [_org(r) for r in session.scalars(select(BuyerOrgRow).order_by(BuyerOrgRow.name))]

    # -- API tokens ------------------------------------------------------------------------

    def add_token(self, org_number: str, name: str, hashed: str) -> None:
        try:
            with self.store.session() as session, session.begin():
                if session.scalars(select(BuyerTokenRow).where(BuyerTokenRow.name == name)).first() is not None:
                    raise BuyerStoreError(f"a token named {name!r} exists already")
                session.add(BuyerTokenRow(org_number=org_number, name=name, token_hash=hashed, created_at=utcnow()))
        except IntegrityError as exc:  # two processes picked the same name at the same moment
            raise BuyerStoreError(f"a token named {name!r} exists already") from exc

    def token_names(self, org_number: str) -> list[str]:
        with self.store.session() as session:
            return list(session.scalars(select(BuyerTokenRow.name).where(BuyerTokenRow.org_number == org_number)))

    def tokens(self, org_number: str) -> list[TokenInfo]:
        with self.store.session() as session:
            rows = session.scalars(
                select(BuyerTokenRow).where(BuyerTokenRow.org_number == org_number).order_by(BuyerTokenRow.id)
            )
            return [TokenInfo(r.name, r.org_number, r.created_at, r.last_used_at, r.revoked_at) for r in rows]

    def revoke_token(self, name: str) -> TokenInfo:
        with self.store.session() as session, session.begin():
            row = session.scalars(select(BuyerTokenRow).where(BuyerTokenRow.name == name)).first()
            if row is None:
                raise BuyerStoreError(f"no token named {name!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return TokenInfo(row.name, row.org_number, row.created_at, row.last_used_at, row.revoked_at)

    def org_for_token(self, hashed: str) -> tuple[BuyerOrg, str] | None:
        """The organisation and token name a live token belongs to; its last use is recorded."""
        with self.store.session() as session, session.begin():
            row = session.scalars(select(BuyerTokenRow).where(BuyerTokenRow.token_hash == hashed)).first()
            if row is None or row.revoked_at is not None:
                return None
            row.last_used_at = utcnow()
            org = session.get(BuyerOrgRow, row.org_number)
            return (_org(org), row.name) if org else None

    # -- logins with the role buyer ---------------------------------------------------------

    def add_user(self, username: str, org_number: str) -> None:
        with self.store.session() as session, session.begin():
            row = session.get(BuyerUserRow, username) or BuyerUserRow(username=username)
            row.org_number = org_number
            session.add(row)

    def org_of_user(self, username: str) -> BuyerOrg | None:
        with self.store.session() as session:
            row = session.get(BuyerUserRow, username)
            org = session.get(BuyerOrgRow, row.org_number) if row else None
            return _org(org) if org else None

    # -- notices ---------------------------------------------------------------------------

    def own_notice(self, tender_id: str, org_number: str, status: str, actor: str) -> None:
        """Record (or update) who owns a published tender and its status; the tender row exists."""
        now = utcnow()
        with self.store.session() as session, session.begin():
            row = session.get(BuyerNoticeRow, tender_id)
            if row is None:
                session.add(BuyerNoticeRow(tender_id=tender_id, org_number=org_number, status=status,
                                           created_by=actor, created_at=now, updated_at=now))  # fmt: skip
            else:
                row.status, row.updated_at = status, now

    def notice(self, tender_id: str) -> OwnedNotice | None:
        with self.store.session() as session:
            row = session.get(BuyerNoticeRow, tender_id)
            return _notice(row) if row else None

    def notices(self, org_numbers: Sequence[str] | None = None) -> list[OwnedNotice]:
        """Notices of these organisations (None: of all), newest first."""
        query = select(BuyerNoticeRow).order_by(BuyerNoticeRow.created_at.desc(), BuyerNoticeRow.tender_id)
        if org_numbers is not None:
            query = query.where(BuyerNoticeRow.org_number.in_(list(org_numbers)))
        with self.store.session() as session:
            return [_notice(r) for r in session.scalars(query)]

    # -- interest ----------------------------------------------------------------------------

    def save_interest(self, tender_id: str, subscriber: str, who: dict[str, Any], *, note: str | None,
                      capacity: str | None, joint_bid: bool, share_contact: bool) -> None:  # fmt: skip
        """Raise (or change) a hand; the contact is kept only when shared, and dropped when no longer."""
        now = utcnow()
        with self.store.session() as session, session.begin():
            row = session.get(InterestRow, (tender_id, subscriber))
            if row is None:
                row = InterestRow(tender_id=tender_id, subscriber=subscriber, created_at=now)
                session.add(row)
            row.organisation, row.org_number = who["organisation"], who.get("org_number")
            row.municipality, row.sectors = who.get("municipality"), list(who.get("sectors") or [])
            row.email = who.get("email") if share_contact else None
            row.note, row.capacity, row.joint_bid, row.share_contact = note, capacity, joint_bid, share_contact
            row.updated_at, row.withdrawn_at = now, None

    def withdraw_interest(self, tender_id: str, subscriber: str) -> bool:
        """The hand goes down and the contact goes with it."""
        with self.store.session() as session, session.begin():
            row = session.get(InterestRow, (tender_id, subscriber))
            if row is None or row.withdrawn_at is not None:
                return False
            row.withdrawn_at = row.updated_at = utcnow()
            row.email, row.share_contact = None, False
            return True

    def interest_of(self, tender_id: str, subscriber: str) -> Interest | None:
        with self.store.session() as session:
            row = session.get(InterestRow, (tender_id, subscriber))
            return _interest_of(row) if row is not None and row.withdrawn_at is None else None

    def interest(self, tender_id: str) -> list[Interest]:
        """The enterprises interested in a notice now (withdrawn hands left out), first first."""
        with self.store.session() as session:
            return [_interest_of(r) for r in session.scalars(
                select(InterestRow)
                .where(InterestRow.tender_id == tender_id, InterestRow.withdrawn_at.is_(None))
                .order_by(InterestRow.created_at, InterestRow.subscriber)
            )]  # fmt: skip

    def interest_counts(self, tender_ids: Sequence[str]) -> dict[str, int]:
        with self.store.session() as session:
            rows = session.execute(
                select(InterestRow.tender_id, func.count())
                .where(InterestRow.tender_id.in_(list(tender_ids)), InterestRow.withdrawn_at.is_(None))
                .group_by(InterestRow.tender_id)
            )
            return {tender_id: int(n) for tender_id, n in rows}

    # -- the buyers' outbox -------------------------------------------------------------------

    def queue_message(self, kind: str, subscriber: str, tender_id: str, *, email: str, subject: str, body: str,
                      reply_to: str | None = None) -> str | None:  # fmt: skip
        """Claim (kind, subscriber, tender) and record the message; None if it was claimed before."""
        ident = str(uuid.uuid4())
        try:
            with self.store.session() as session, session.begin():
                found = session.scalars(select(BuyerMessageRow.id).where(
                    BuyerMessageRow.kind == kind, BuyerMessageRow.subscriber == subscriber,
                    BuyerMessageRow.tender_id == tender_id)).first()  # fmt: skip
                if found is not None:
                    return None
                session.add(BuyerMessageRow(id=ident, kind=kind, subscriber=subscriber, tender_id=tender_id,
                                            email=email, reply_to=reply_to, subject=subject[:300], body=body,
                                            status="queued", attempts=0, created_at=utcnow()))  # fmt: skip
        except IntegrityError:  # another run claimed it at the same moment
            return None
        return ident

    def due_messages(self, now: datetime | None = None) -> list[BuyerMessage]:
        """Queued ones, failed ones to retry, and ones left "sending" by a run that died."""
        now = now or utcnow()
        with self.store.session() as session:
            return [_message(r) for r in session.scalars(
                select(BuyerMessageRow).where(
                    (BuyerMessageRow.status.in_(("queued", "failed")))
                    | ((BuyerMessageRow.status == "sending") & (BuyerMessageRow.attempted_at < now - STALE_SENDING))
                ).order_by(BuyerMessageRow.created_at)
            )]  # fmt: skip

    def begin_message(self, ident: str) -> None:
        with self.store.session() as session, session.begin():
            row = session.get(BuyerMessageRow, ident)
            if row is not None:
                row.status, row.attempted_at, row.attempts = "sending", utcnow(), row.attempts + 1

    def mark_message(self, ident: str, status: str, *, provider_ref: str | None = None,
                     error: str | None = None) -> None:  # fmt: skip
        with self.store.session() as session, session.begin():
            row = session.get(BuyerMessageRow, ident)
            if row is None:
                return
            row.status, row.last_error = status, error
            if status == "sent":
                row.sent_at, row.provider_ref = utcnow(), provider_ref

    def messages(self, tender_id: str | None = None) -> list[BuyerMessage]:
        query = select(BuyerMessageRow).order_by(BuyerMessageRow.created_at)
        if tender_id is not None:
            query = query.where(BuyerMessageRow.tender_id == tender_id)
        with self.store.session() as session:
            return [_message(r) for r in session.scalars(query)]

    # -- dialogue invitations ------------------------------------------------------------------

    def invitations_sent(self, tender_id: str) -> int:
        with self.store.session() as session:
            found = session.scalar(select(func.count()).select_from(InvitationRow)
                                   .where(InvitationRow.tender_id == tender_id))  # fmt: skip
            return int(found or 0)

    def claim_invitation(self, tender_id: str, actor: str, cap: int) -> int | None:
        """The next free invitation number for this notice, claimed; None when all ``cap`` are
        taken. A number another post claimed in the meantime is skipped, never shared."""
        for number in range(self.invitations_sent(tender_id) + 1, cap + 1):
            try:
                with self.store.session() as session, session.begin():
                    session.add(InvitationRow(tender_id=tender_id, number=number, actor=actor, at=utcnow()))
            except IntegrityError:  # claimed by a post at the same instant: try the next
                continue
            return number
        return None

    # -- audit -------------------------------------------------------------------------------

    def audit(self, actor: str, org_number: str, action: str, tender_id: str | None = None,
              detail: dict[str, Any] | None = None) -> None:  # fmt: skip
        with self.store.session() as session, session.begin():
            session.add(AuditRow(at=utcnow(), actor=actor, org_number=org_number, action=action, tender_id=tender_id,
                                 detail=detail))  # fmt: skip

    def audit_log(self, org_numbers: Sequence[str] | None = None, limit: int = 200, *,
                  tender_id: str | None = None) -> list[AuditEntry]:  # fmt: skip
        """Newest first: of these organisations (None: all), of one notice if given."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if org_numbers is not None:
            query = query.where(AuditRow.org_number.in_(list(org_numbers)))
        if tender_id is not None:
            query = query.where(AuditRow.tender_id == tender_id)
        with self.store.session() as session:
            return [_entry(r) for r in session.scalars(query)]
