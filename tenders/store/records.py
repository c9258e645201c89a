"""What the store hands out about its own records: frozen copies, never ORM rows.

A row is bound to the session that loaded it; handed out, it can be changed in a way that is
never saved, or read after its session is gone. So each store method copies what it found into
one of these, inside the session, and a change goes through a store method instead. The names
are the tables' columns, so callers read the same attributes they always did.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Record = TypeVar("Record", bound="DataclassInstance")


def record(kind: type[Record], row: object) -> Record:
    """A frozen copy of ``row``: the fields ``kind`` names, lists as tuples, dicts as new dicts."""
    return kind(**{f.name: _plain(getattr(row, f.name)) for f in fields(kind)})


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return dict(value)
    return value


@dataclass(frozen=True, slots=True)
class Login:
    """A coordinator's (or a buyer's) login: the counties (NUTS 3) it sees; an admin sees all."""

    username: str
    password_hash: str
    regions: tuple[str, ...]
    is_admin: bool
    language: str
    created_at: datetime
    email: str | None


@dataclass(frozen=True, slots=True)
class SocialEnterprise:
    """One entry of the register of social enterprises: whose wins count as theirs."""

    org_number: str  # digits only
    name: str
    municipality: str | None
    county: str | None
    sectors: tuple[str, ...]  # the register's free words
    imported_at: datetime


@dataclass(frozen=True, slots=True)
class Feedback:
    """A subscriber's "relevant" / "not relevant" on a tender from a digest."""

    subscriber: str
    tender_id: str
    relevant: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Digest:
    """One email to one subscriber in the outbox, as it stood when read (see ``tables.DigestRow``)."""

    id: str
    subscriber: str
    email: str
    language: str
    tender_ids: tuple[str, ...]
    updated_ids: tuple[str, ...] | None  # tenders sent before, in again because they changed
    status: str
    attempts: int
    last_error: str | None
    provider_ref: str | None
    created_at: datetime
    due_at: datetime | None  # None: as soon as possible
    attempted_at: datetime | None
    sent_at: datetime | None
    unsure_since: datetime | None


@dataclass(frozen=True, slots=True)
class SourceRun:
    """One collection from one source: what it brought and what went wrong."""

    source: str
    started_at: datetime
    finished_at: datetime
    new: int
    changed: int
    unchanged: int
    skipped: int
    errors: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class PipelineRun:
    """One ``tender-radar run``; ``finished_at`` None: running, or killed on the way."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    host: str
    pid: int
    outcome: str | None


@dataclass(frozen=True, slots=True)
class SignUp:
    """A subscriber who signed up (double opt-in), with the proof of consent."""

    key: str
    email: str
    profile: dict[str, Any]
    status: str  # pending | active | unsubscribed
    created_at: datetime
    confirmed_at: datetime | None
    confirmed_ip: str | None
    unsubscribed_at: datetime | None


@dataclass(frozen=True, slots=True)
class SignUpProposal:
    """A sign-up for an address that already has a subscription, waiting for its owner's link."""

    id: str
    key: str
    email: str
    profile: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReportMailing:
    """A county's October report for a year, mailed to its coordinators."""

    county: str
    year: int
    key: str  # the message key: the outbox file, SendGrid's custom arg
    recipients: tuple[str, ...]
    status: str  # sending | sent | failed
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class NationalRecord:
    """What every one of Upphandlingsmyndigheten's exports repeats: the procurement, its buyer, and
    whom it was attributed to (``attributed_by``: "org_number", "name", or "title" for a joint
    body's purchase named after a member municipality)."""

    year: int
    procurement_id: str  # Upphandlings-ID
    title: str | None
    published: str | None
    buyer_name: str | None
    buyer_org: str | None
    main_cpv: str | None
    cpv_division: str | None
    social: bool
    reserved: bool
    reserved_execution: bool
    municipality: str | None  # short name, or the region's name
    county: str | None
    attributed_by: str | None


@dataclass(frozen=True, slots=True)
class NationalProcurement(NationalRecord):
    """An advertised procurement (the "procurements" export)."""

    procedure: str | None
    ad_database: str | None


@dataclass(frozen=True, slots=True)
class NationalContract(NationalRecord):
    """A contracted tender: the winner by name (the statistics carry no supplier number)."""

    lot_id: str | None
    supplier_name: str | None
    supplier_sector: str | None
    supplier_size: str | None
    supplier_legal_form: str | None
    supplier_sni: str | None
    contracts: int


@dataclass(frozen=True, slots=True)
class NationalValue(NationalRecord):
    """A procurement's contracted value in SEK ("Kontrakterat värde, Summa")."""

    value: float | None
