"""The one shape every stage speaks: a normalized tender and its lots.

Its JSON form (``to_dict``) is the contract of ``tender-radar parse``. A value the
notice does not give is ``None`` or an empty list, never a guess.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any, Literal

NoticeType = Literal["planning", "competition", "result", "change", "other"]
NOTICE_TYPES: tuple[str, ...] = ("planning", "competition", "result", "change", "other")


@dataclass(slots=True)
class Lot:
    id: str
    title: str | None = None
    description: str | None = None
    cpv_main: str | None = None
    cpv_additional: list[str] = field(default_factory=list)
    nuts: list[str] = field(default_factory=list)
    estimated_value: float | None = None
    currency: str | None = None
    deadline: str | None = None
    reserved_participation: list[str] = field(default_factory=list)
    reserved_execution: bool | None = None
    strategic_procurement: list[str] = field(default_factory=list)
    social_objectives: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lot:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(slots=True)
class Tender:
    source: str
    notice_id: str
    procedure_id: str | None = None
    notice_type: str = "other"
    title: str | None = None
    description: str | None = None
    language: str | None = None
    buyer_name: str | None = None
    buyer_org_id: str | None = None
    buyer_country: str | None = None
    buyer_nuts: str | None = None
    nuts: list[str] = field(default_factory=list)
    cpv_main: str | None = None
    cpv_additional: list[str] = field(default_factory=list)
    estimated_value: float | None = None
    currency: str | None = None
    deadline: str | None = None
    published: str | None = None
    url: str | None = None
    # Where the procurement documents are: eForms BT-15, legacy TED URL_DOCUMENT, OCDS tender.documents,
    # a buyer's own link; None when the notice does not say (a page then links the notice itself).
    documents_url: str | None = None
    reserved_participation: list[str] = field(default_factory=list)
    reserved_execution: bool | None = None
    strategic_procurement: list[str] = field(default_factory=list)
    social_objectives: list[str] = field(default_factory=list)
    vcse: bool | None = None  # OCDS suitability.vcse: the buyer says it suits social enterprises
    status: str | None = None  # a buyer's own notice: "planned", "open" or "withdrawn"; None elsewhere
    expected_publication: str | None = None  # a planned procurement: when the buyer expects to advertise it
    winners: list[dict[str, Any]] = field(default_factory=list)  # {"org_id", "name"}: who won, from a result
    lots: list[Lot] = field(default_factory=list)

    @property
    def id(self) -> str:
        """Stable across runs and re-publications of the same notice: ``source:notice_id``."""
        return f"{self.source}:{self.notice_id}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form. Field by field rather than ``asdict``: it runs for every notice."""
        data: dict[str, Any] = {"id": self.id}
        for name in _TENDER_FIELDS:
            data[name] = getattr(self, name)
        data["lots"] = [{name: getattr(lot, name) for name in _LOT_FIELDS} for lot in self.lots]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=False)

    def content_hash(self) -> str:
        """Digest of everything the notice says; an upsert with the same hash changes nothing."""
        return content_hash(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tender:
        """Build from a (possibly partial) JSON form; ``id`` alone may stand for source and notice id."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names and k != "lots"}
        if "source" not in values or "notice_id" not in values:
            ident = str(data.get("id") or "")
            source, _, notice_id = ident.partition(":")
            values.setdefault("source", source if notice_id else "input")
            values.setdefault("notice_id", notice_id or source or "unknown")
        if values.get("notice_type") not in NOTICE_TYPES:
            values["notice_type"] = "other"
        values["lots"] = [Lot.from_dict(lot) for lot in data.get("lots") or [] if isinstance(lot, dict)]
        return cls(**values)

    @property
    def all_reserved_participation(self) -> list[str]:
        return union([self.reserved_participation, *(lot.reserved_participation for lot in self.lots)])

    @property
    def all_nuts(self) -> list[str]:
        return union([self.nuts, *(lot.nuts for lot in self.lots)])

    @property
    def all_cpv(self) -> list[str]:
        main = [self.cpv_main] if self.cpv_main else []
        return union([main, self.cpv_additional, *([lot.cpv_main] if lot.cpv_main else [] for lot in self.lots)])


_TENDER_FIELDS = tuple(f.name for f in fields(Tender) if f.name != "lots")
_LOT_FIELDS = tuple(f.name for f in fields(Lot))


def content_hash(data: dict[str, Any]) -> str:
    """What the notice says, hashed. Empty values are left out, so that a field added to the
    model later (empty for every notice stored before) does not make them all look changed."""
    canonical = json.dumps(_said(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _said(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _said(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_said(v) for v in value]
    return value


def union(lists: Any) -> list[str]:
    """Ordered union of several lists, first occurrence wins."""
    seen: dict[str, None] = {}
    for values in lists:
        for value in values:
            seen.setdefault(value, None)
    return list(seen)
