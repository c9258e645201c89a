"""Buyers publish: organisations and their API tokens, and notices that become ordinary tenders.

A notice a buyer publishes is stored as a ``Tender`` with the source ``buyer:<org number>``
and judged by the same classifier as every other notice; ``tender-radar run`` (or the DAGs)
then match it and queue it through the same exactly-once outbox. An edit changes its
content hash, so those already told get it as "updated"; a withdrawal keeps the notice
with the status ``withdrawn``, which reaches only those already told.

Everything a buyer sends is checked field by field (``NoticeError`` names each failing
field), and every place it names must lie in the organisation's area (``OutsideAreaError``).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from matching.subscriptions import SubscriberError, region_code
from tenders import clock, orgnr
from tenders.codelists import codelist
from tenders.hygiene import clean
from tenders.model import Lot, Tender
from tenders.store import Store, Verdict
from tenders.store.buyers import BuyerOrg, BuyerStore, BuyerStoreError, OwnedNotice, token_hash

TOKEN_PREFIX = "trb_"  # ruff: ignore[hardcoded-password-string] - a prefix; recognisable in logs and by secret scanners; the rest is 256 random bits
PUBLISHED_STATUSES = ("planned", "open")
NOTICE_TYPE = {"planned": "planning", "open": "competition"}
MAX_BODY = 1_000_000  # bytes of JSON a notice may take
RESERVED_CODES = ("res-ws", "res-pub-ser", "none")  # eForms reserved-procurement codes the classifier reads
_NUTS = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")  # fullmatch: "$" let a trailing line break through
_CPV = re.compile(r"[0-9]{8}(?:-[0-9])?")  # ASCII digits: "\d" took "٩٠٩١٠٠٠٠" (Arabic-Indic) too
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BuyerError(ValueError):
    """A buyer, token or notice request that cannot be carried out; the message says why."""


class NoticeError(BuyerError):
    """A malformed notice: ``fields`` maps each failing field (dotted path) to what is wrong (English);
    ``kinds`` maps it to the error's code and context (pydantic's ``type`` and ``ctx``, or a
    ``_RuleError``'s), from which a page says it in its own language."""

    def __init__(self, fields: dict[str, str], kinds: dict[str, tuple[str, dict[str, Any]]] | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields
        self.kinds = kinds or {}


class _RuleError(ValueError):
    """A rule of this module broken: a code (for the pages' words) beside the English message."""

    def __init__(self, code: str, message: str, **context: Any) -> None:
        super().__init__(message)
        self.code, self.context = code, context


class OutsideAreaError(BuyerError):
    """The notice names places outside the organisation's area."""

    def __init__(self, places: Sequence[str], regions: Sequence[str]) -> None:
        super().__init__(f"{', '.join(places)} outside the organisation's area ({', '.join(regions)})")
        self.places = list(places)


class NotFoundError(BuyerError):
    """No such notice, or one of another organisation (the two are not told apart)."""


class WithdrawnError(BuyerError):
    """The notice was withdrawn; it can no longer be changed."""


# -- organisations and tokens ----------------------------------------------------------------


def org_number(value: str) -> str:
    """Ten digits of a valid Swedish organisation number (Luhn), from ``NNNNNN-NNNN`` or 12 digits."""
    text = value.strip()
    if not orgnr.valid(text):
        raise BuyerError(f"--org-number {value!r} is not a valid Swedish organisation number (NNNNNN-NNNN)")
    digits = text.replace("-", "")
    return digits[-10:]


def area(regions: Sequence[str]) -> list[str]:
    """NUTS codes for counties, municipalities (their county: tenders are placed no finer) or codes."""
    counties = codelist("nuts_nuts-swe-lvl3")
    out: list[str] = []
    for region in regions:
        try:
            code = region_code(region, "--region")
        except SubscriberError as exc:
            raise BuyerError(str(exc)) from None
        if not any(county.startswith(code) for county in counties):
            raise BuyerError(f"--region {region!r}: not a Swedish county, municipality or NUTS code")
        if code not in out:
            out.append(code)
    if not out:
        raise BuyerError("a buyer needs at least one --region")
    return out


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as it is shown, once: afterwards only its hash is kept."""

    org: BuyerOrg
    name: str
    token: str


def add_buyer(
    store: Store, name: str, number: str, regions: Sequence[str], contact_email: str | None = None
) -> IssuedToken:
    name = name.strip()
    if not name:
        raise BuyerError("a buyer needs a name")
    org = BuyerStore(store).add_org(org_number(number), name, area(regions), contact_email)
    issued = issue_token(store, name)
    return IssuedToken(org, issued.name, issued.token)


def issue_token(store: Store, org_name: str, token_name: str | None = None) -> IssuedToken:
    buyers = BuyerStore(store)
    org = buyers.org_by_name(org_name.strip())
    if org is None:
        known = ", ".join(o.name for o in buyers.orgs()) or "none yet"
        raise BuyerError(f"no buyer named {org_name!r} (known: {known})")
    taken = set(buyers.token_names(org.org_number))
    name = token_name or next(
        f"{_slug(org.name)}-{n}" for n in range(1, len(taken) + 2) if f"{_slug(org.name)}-{n}" not in taken
    )
    token = new_token()
    try:
        buyers.add_token(org.org_number, name, token_hash(token))
    except BuyerStoreError as exc:
        raise BuyerError(str(exc)) from None
    buyers.audit("cli", org.org_number, "token", detail={"name": name})
    return IssuedToken(org, name, token)


def revoke_token(store: Store, token_name: str) -> str:
    buyers = BuyerStore(store)
    try:
        info = buyers.revoke_token(token_name)
    except BuyerStoreError as exc:
        raise BuyerError(str(exc)) from None
    buyers.audit("cli", info.org_number, "revoke", detail={"name": info.name})
    return info.org_number


def authenticate(store: Store, authorization: str | None) -> tuple[BuyerOrg, str] | None:
    """The organisation and token name behind ``Authorization: Bearer TOKEN``; None if not a live token."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return BuyerStore(store).org_for_token(token_hash(token))


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().translate(str.maketrans("åäöéü", "aaoeu"))).strip("-")
    return slug[:60] or "buyer"


# -- the notice a buyer sends ------------------------------------------------------------------


def _day(value: str | None, what: str) -> str | None:
    """``YYYY-MM-DD``, or that with a time (``T`` or a space, then an ISO time, optionally its offset);
    nothing after it (``2027-01-15junk`` was taken)."""
    if value is None:
        return None
    try:
        if not _DAY.fullmatch(value[:10]) or not value.isascii():
            raise ValueError(value)
        date.fromisoformat(value[:10])
        if len(value) > 10:
            if value[10] not in "T ":
                raise ValueError(value)
            datetime.fromisoformat(value)
    except ValueError:
        raise _RuleError("iso_date", f"{what} must be an ISO date (YYYY-MM-DD), optionally with a time") from None
    return value


def _no_nul(value: Any) -> Any:
    """A NUL in any text is refused (PostgreSQL cannot store one: it was a 500)."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise _RuleError("no_nul", "must not contain NUL characters")
    return value


class _Part(BaseModel):
    """Fields a notice and a lot share."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=20_000)
    cpv_main: str | None = None
    cpv_additional: list[str] = Field(default_factory=list, max_length=50)
    nuts: list[str] = Field(default_factory=list, max_length=50)
    estimated_value: float | None = Field(None, ge=0, lt=1e13)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    deadline: str | None = Field(None, max_length=40)
    reserved_participation: list[Literal["res-ws", "res-pub-ser", "none"]] = Field(default_factory=list)
    reserved_execution: bool | None = None
    strategic_procurement: list[str] = Field(default_factory=list, max_length=20)
    social_objectives: list[str] = Field(default_factory=list, max_length=20)

    _texts = field_validator("*", mode="before")(_no_nul)

    @field_validator("cpv_main")
    @classmethod
    def _cpv(cls, value: str | None) -> str | None:
        if value is not None and not _CPV.fullmatch(value):
            raise _RuleError("cpv_code", "a CPV code is eight digits, optionally with a check digit (90910000-9)")
        return value

    @field_validator("cpv_additional")
    @classmethod
    def _cpvs(cls, values: list[str]) -> list[str]:
        for value in values:
            cls._cpv(value)
        return values

    @field_validator("nuts")
    @classmethod
    def _nuts(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _NUTS.fullmatch(value):
                raise _RuleError("nuts_code", f"{value!r} is not a NUTS code (e.g. SE312)", value=value)
        return values

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: str | None) -> str | None:
        return _day(value, "deadline")


class LotIn(_Part):
    id: str = Field(min_length=1, max_length=50)


class NoticeIn(_Part):
    """The tender JSON form (``tender-radar parse``); what the server sets itself is ignored."""

    title: str = Field(min_length=3, max_length=500)
    status: Literal["planned", "open"]
    expected_publication: str | None = Field(None, max_length=10)
    procedure_id: str | None = Field(None, max_length=200)
    language: Literal["sv", "en"] | None = None
    buyer_nuts: str | None = None
    vcse: bool | None = None
    documents_url: str | None = Field(None, max_length=2000)  # the procurement documents, on the e-procurement platform
    lots: list[LotIn] = Field(default_factory=list, max_length=200)
    # Set by the server; accepted (a parse output can be sent as it is) and ignored.
    id: Any = None
    source: Any = None
    notice_id: Any = None
    notice_type: Any = None
    buyer_name: Any = None
    buyer_org_id: Any = None
    buyer_country: Any = None
    published: Any = None
    url: Any = None
    winners: Any = None

    @field_validator("expected_publication")
    @classmethod
    def _expected(cls, value: str | None) -> str | None:
        return _day(value, "expected_publication")

    @field_validator("documents_url")
    @classmethod
    def _documents_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s<>\"]+", value, re.IGNORECASE):
            raise _RuleError(
                "documents_url", "an https:// (or http://) address of the procurement documents, on one line"
            )
        return value

    @field_validator("buyer_nuts")
    @classmethod
    def _buyer_nuts(cls, value: str | None) -> str | None:
        if value is not None:
            cls._nuts([value])
        return value

    @model_validator(mode="after")
    def _status_fields(self) -> NoticeIn:
        if self.status == "planned" and not self.expected_publication:
            raise _RuleError(
                "planned_needs_date", "expected_publication: a planned procurement needs the date it is expected"
            )
        if self.status == "open" and not self.deadline and not any(lot.deadline for lot in self.lots):
            raise _RuleError("open_needs_deadline", "deadline: an open tender needs its deadline")
        ids = [lot.id for lot in self.lots]
        if len(set(ids)) != len(ids):
            raise _RuleError("lot_ids", "lots: each lot needs an id of its own")
        return self


def read_notice(data: Any, today: date | None = None) -> NoticeIn:
    """The notice, or NoticeError naming every failing field."""
    if not isinstance(data, dict):
        raise NoticeError({"body": "expected a JSON object (the tender JSON form)"}, {"body": ("json_object", {})})
    try:
        notice = NoticeIn.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        kinds: dict[str, tuple[str, dict[str, Any]]] = {}
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"]) or _field_of(error["msg"])
            fields.setdefault(path, error["msg"].removeprefix("Value error, "))
            context = dict(error.get("ctx") or {})
            cause = context.pop("error", None)
            kinds.setdefault(
                path, (cause.code, cause.context) if isinstance(cause, _RuleError) else (error["type"], context)
            )
        raise NoticeError(fields, kinds) from None
    today = today or clock.today()
    late: dict[str, str] = {}
    if notice.status == "open":
        for where, deadline in [("deadline", notice.deadline), *((f"lots.{i}.deadline", lot.deadline)
                                                                  for i, lot in enumerate(notice.lots))]:  # fmt: skip
            if deadline and deadline[:10] < today.isoformat():
                late[where] = f"{deadline} has passed"
    if late:
        raise NoticeError(late, {where: ("date_passed", {"date": text.split(" ")[0]}) for where, text in late.items()})
    return notice


def _field_of(message: str) -> str:
    """A model-level error names its field before the colon."""
    text = message.removeprefix("Value error, ")
    head, sep, _ = text.partition(":")
    return head if sep and re.fullmatch(r"[a-z_]+", head) else "body"


def build_tender(org: BuyerOrg, notice: NoticeIn, notice_id: str, *, published: str, base_url: str,
                 status: str | None = None) -> Tender:  # fmt: skip
    """The notice as a tender of the organisation; its places default to the organisation's area."""
    given = notice.model_dump(exclude={"lots", *_SERVER_FIELDS})
    lots = [Lot(**lot.model_dump()) for lot in notice.lots]
    tender = Tender(source=org.source, notice_id=notice_id, lots=lots, **given)
    tender.status = status or notice.status
    tender.notice_type = NOTICE_TYPE[notice.status]
    tender.buyer_name, tender.buyer_org_id, tender.buyer_country = org.name, org.formatted_number, "SE"
    tender.published = published
    tender.language = notice.language or "sv"
    if tender.estimated_value is not None and not tender.currency:
        tender.currency = "SEK"
    if not tender.all_nuts and not tender.buyer_nuts:
        tender.nuts = list(org.regions)
    tender.url = f"{base_url.rstrip('/')}/tenders/{tender.id}"
    return clean(tender)  # the same hygiene as every source: no controls, bidi or line breaks in one-line fields


_SERVER_FIELDS = frozenset(
    {"id", "source", "notice_id", "notice_type", "buyer_name", "buyer_org_id", "buyer_country", "published", "url",
     "winners", "status"}
)  # fmt: skip


def outside(org: BuyerOrg, tender: Tender) -> list[str]:
    """The places of the tender that are not in the organisation's area."""
    places = tender.all_nuts + ([tender.buyer_nuts] if tender.buyer_nuts else [])
    return [p for p in places if not any(p.startswith(r) for r in org.regions)]


# -- publishing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Published:
    tender: Tender
    verdict: Verdict
    changed: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.tender.id,
            "status": self.tender.status,
            "url": self.tender.url,
            "assessment": {
                "label": self.verdict.label,
                "score": self.verdict.score,
                "reasons": self.verdict.reasons,
                "sectors": self.verdict.sectors,
            },
        }


def _judge(tender: Tender) -> Verdict:
    from radar.judging import judge  # the one classifier every source goes through

    return judge(tender)


def _store(store: Store, tender: Tender) -> tuple[Verdict, bool]:
    verdict = _judge(tender)
    result = store.upsert([tender], {tender.id: verdict})
    return verdict, bool(result.new or result.changed)


def publish(store: Store, org: BuyerOrg, data: Any, actor: str, *, base_url: str, today: date | None = None,
            notice_id: str | None = None) -> Published:  # fmt: skip
    """Check, place-check, store and judge a new notice; audit it. Raises NoticeError or OutsideAreaError."""
    today = today or clock.today()
    notice = read_notice(data, today)
    tender = build_tender(org, notice, notice_id or uuid.uuid4().hex, published=today.isoformat(), base_url=base_url)
    if bad := outside(org, tender):
        raise OutsideAreaError(bad, org.regions)
    verdict, _ = _store(store, tender)
    buyers = BuyerStore(store)
    buyers.own_notice(tender.id, org.org_number, notice.status, actor)
    buyers.audit(actor, org.org_number, "publish", tender.id, {"status": notice.status, "title": tender.title})
    return Published(tender, verdict)


def owned(store: Store, org: BuyerOrg, tender_id: str) -> Tender:
    """The organisation's own notice; NotFoundError for anything else."""
    tender = store.get(tender_id) if tender_id.startswith(org.source + ":") else None
    if tender is None or BuyerStore(store).notice(tender_id) is None:
        raise NotFoundError(f"no notice {tender_id!r} of {org.name}")
    return tender


def edit(store: Store, org: BuyerOrg, tender_id: str, data: Any, actor: str, *, base_url: str,
         today: date | None = None) -> Published:  # fmt: skip
    """Replace a notice's content (the id, source and publication date stay); those told get "updated"."""
    today = today or clock.today()
    old = owned(store, org, tender_id)
    if old.status == "withdrawn":
        raise WithdrawnError(f"{tender_id} was withdrawn and cannot be changed")
    notice = read_notice(data, today)
    tender = build_tender(org, notice, old.notice_id, published=old.published or today.isoformat(), base_url=base_url)
    if bad := outside(org, tender):
        raise OutsideAreaError(bad, org.regions)
    verdict, changed = _store(store, tender)
    buyers = BuyerStore(store)
    buyers.own_notice(tender.id, org.org_number, notice.status, actor)
    if changed:
        buyers.audit(actor, org.org_number, "edit", tender.id, {"status": notice.status, "was": old.status})
    return Published(tender, verdict, changed)


def withdraw(store: Store, org: BuyerOrg, tender_id: str, actor: str) -> Published:
    """Keep the notice, marked withdrawn: the next digest tells those who had it, and no one else."""
    tender = owned(store, org, tender_id)
    changed = tender.status != "withdrawn"
    tender.status = "withdrawn"
    verdict, _ = _store(store, tender)
    buyers = BuyerStore(store)
    buyers.own_notice(tender.id, org.org_number, "withdrawn", actor)
    if changed:
        buyers.audit(actor, org.org_number, "withdraw", tender.id, {"title": tender.title})
    return Published(tender, verdict, changed)


# -- who may see and change what ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Viewer:
    """A logged-in person: a buyer acts for one organisation; a coordinator reads their counties."""

    username: str
    org: BuyerOrg | None
    counties: frozenset[str]

    @property
    def actor(self) -> str:
        return f"user:{self.username}"

    @property
    def is_buyer(self) -> bool:
        return self.org is not None


def viewer(store: Store, username: str, regions: Sequence[str], is_admin: bool) -> Viewer:
    """The role of a login: a buyer if linked to an organisation, else a coordinator."""
    from tenders.places import counties

    org = BuyerStore(store).org_of_user(username)
    if org is not None:
        return Viewer(username, org, frozenset())
    known = set(counties())
    return Viewer(username, None, frozenset(known if is_admin else {r for r in regions if r in known}))


def may_see(who: Viewer, tender: Tender) -> bool:
    """A buyer sees its own notices; a coordinator those placed in their counties."""
    if who.org is not None:
        return tender.source == who.org.source
    places = tender.all_nuts + ([tender.buyer_nuts] if tender.buyer_nuts else [])
    return any(p.startswith(c) for p in places for c in who.counties)


def may_change(who: Viewer, tender: Tender) -> bool:
    return who.org is not None and tender.source == who.org.source


def visible_notices(store: Store, who: Viewer) -> list[tuple[OwnedNotice, Tender]]:
    """The published notices this person may see, newest first."""
    buyers = BuyerStore(store)
    owned_rows = buyers.notices([who.org.org_number] if who.org else None)
    tenders = {a.tender.id: a.tender for a in store.assessed_by_ids([n.tender_id for n in owned_rows])}
    return [
        (n, tenders[n.tender_id]) for n in owned_rows if n.tender_id in tenders and may_see(who, tenders[n.tender_id])
    ]
