"""The supply behind a planned procurement: who could deliver it, before the buyer decides.

For a notice (and each of its lots): how many social enterprises in the register, and how
many subscribers, do its kind of work in its place. An item looks reservable when it is
typical social-enterprise work (``matching/data/sectors.yaml``) and at least ``n`` enterprises
in the register match it; an item no enterprise matches is named too. The register's sectors
are free words ("städ", "trädgård"), read with the same word lists the classifier uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matching.rules import rules
from matching.subscriptions import Subscriber
from tenders.model import Tender
from tenders.store.records import SocialEnterprise

RESERVABLE_AT_LEAST = 3  # the page can ask for another number


@dataclass(frozen=True, slots=True)
class ItemSupply:
    item: str  # a lot's id, or "" for the notice as a whole
    title: str
    sectors: tuple[str, ...]  # typical social-enterprise sectors of the item
    enterprises: tuple[str, ...]  # names from the register that match it
    subscribers: int

    def reservable(self, n: int) -> bool:
        return bool(self.sectors) and len(self.enterprises) >= n


@dataclass(frozen=True, slots=True)
class Supply:
    enterprises: int  # in the register, matching any item
    subscribers: int  # matching any item
    items: tuple[ItemSupply, ...]

    def reservable(self, n: int) -> list[ItemSupply]:
        return [i for i in self.items if i.reservable(n)]

    def unmatched(self) -> list[ItemSupply]:
        return [i for i in self.items if not i.enterprises]


def sectors_of_codes(codes: Sequence[str], text: str = "") -> tuple[str, ...]:
    """Typical sectors by CPV prefix, else by the words of the text."""
    typical = rules().typical
    by_code = tuple(name for name, spec in typical.items() if any(c.startswith(tuple(spec["cpv"])) for c in codes))
    if by_code or not text:
        return by_code
    words = rules().typical_words
    return tuple(name for name in typical if name in words and words[name].search(text.lower()))


def sectors_of_enterprise(entry: SocialEnterprise) -> set[str]:
    """The register's free words for an enterprise's work, as typical sectors."""
    typical, words = rules().typical, rules().typical_words
    out: set[str] = set()
    for given in entry.sectors:
        value = str(given).strip().lower()
        for name, spec in typical.items():
            labels = {name, str(spec.get("sv", "")).lower(), str(spec.get("en", "")).lower()}
            if value in labels or (name in words and words[name].search(value)):
                out.add(name)
    return out


def _in_place(county: str | None, places: Sequence[str]) -> bool:
    if not places:
        return True
    return bool(county) and any(str(county).startswith(p) or p.startswith(str(county)) for p in places)


def supply(tender: Tender, register: Sequence[SocialEnterprise], subscribers: Sequence[Subscriber]) -> Supply:
    places = tender.all_nuts + ([tender.buyer_nuts] if tender.buyer_nuts else [])
    known = [(e, sectors_of_enterprise(e)) for e in register]
    items: list[tuple[str, str, Tender]] = []
    if tender.lots:
        for lot in tender.lots:
            part = Tender(source=tender.source, notice_id=tender.notice_id, title=lot.title or tender.title,
                          description=lot.description, cpv_main=lot.cpv_main or tender.cpv_main,
                          nuts=lot.nuts or tender.nuts, buyer_nuts=tender.buyer_nuts,
                          buyer_country=tender.buyer_country)  # fmt: skip
            items.append((lot.id, lot.title or tender.title or "", part))
    else:
        items.append(("", tender.title or "", tender))
    out = []
    all_enterprises: set[str] = set()
    all_subscribers: set[str] = set()
    for ident, title, part in items:
        codes = [c for c in [part.cpv_main, *tender.cpv_additional] if c]
        sectors = sectors_of_codes(codes, f"{part.title or ''} {part.description or ''}")
        part_places = part.all_nuts + ([part.buyer_nuts] if part.buyer_nuts else []) or places
        matching = [e for e, mine in known if mine & set(sectors) and _in_place(e.county, part_places)]
        wanting = [s.key for s in subscribers if s.wants(part, 1.0)]
        all_enterprises.update(e.org_number for e in matching)
        all_subscribers.update(wanting)
        out.append(ItemSupply(ident, title, sectors, tuple(e.name for e in matching), len(wanting)))
    return Supply(len(all_enterprises), len(all_subscribers), tuple(out))
