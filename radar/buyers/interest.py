"""Enterprises raise their hand for a buyer's notice: "we are interested".

Only a subscribed enterprise can (it arrives by the signed per-subscriber link of its digest),
only for a buyer's own notice that is still planned or open. Its note, capacity and "we could
bid together with others" go to the buyer; its contact address only when it chooses to share
it, and it is erased again when the enterprise takes that back or withdraws its interest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notifications.tokens import feedback_token
from tenders.config import Settings
from tenders.facts import where
from tenders.hygiene import one_line, paragraph
from tenders.model import Tender
from tenders.orgnr import digits as org_digits
from tenders.store import Store
from tenders.store.buyers import BuyerStore, Interest

NOTE_MAX = 1000
CAPACITY_MAX = 300


class InterestError(ValueError):
    """Interest that cannot be shown: not a subscriber, not a buyer's open notice, too long a note."""


@dataclass(frozen=True, slots=True)
class Enterprise:
    key: str
    organisation: str
    email: str
    org_number: str | None
    municipality: str | None
    sectors: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"organisation": self.organisation, "email": self.email, "org_number": self.org_number,
                "municipality": self.municipality, "sectors": list(self.sectors)}  # fmt: skip


def enterprise(settings: Settings, store: Store, key: str) -> Enterprise | None:
    """The active subscriber behind a key, with its sectors and municipality from the register when listed."""
    from radar.subscribers import active_subscribers

    found = next((s for s in active_subscribers(settings, store) if s.key == key), None)
    if found is None:
        return None
    number = org_digits(found.org_number) or None
    listed = next((e for e in store.register() if e.org_number == number), None) if number else None
    profile = next((r.profile for r in store.signed_up("active") if r.key == key), {})
    sectors = tuple(listed.sectors) if listed else tuple(str(x) for x in profile.get("sectors") or ())
    return Enterprise(key, found.organisation, found.email, number, listed.municipality if listed else None, sectors)


def open_notice(store: Store, tender_id: str) -> Tender:
    """A buyer's notice one can still be interested in."""
    tender = store.get(tender_id)
    if tender is None or not tender.source.startswith("buyer:") or BuyerStore(store).notice(tender_id) is None:
        raise InterestError("no such notice from a buyer")
    if tender.status == "withdrawn":
        raise InterestError("the buyer has withdrawn this notice")
    return tender


def raise_hand(settings: Settings, store: Store, key: str, tender_id: str, *, note: str = "", capacity: str = "",
               joint_bid: bool = False, share_contact: bool = False) -> Interest:  # fmt: skip
    who = enterprise(settings, store, key)
    if who is None:
        raise InterestError("only a subscribed enterprise can show interest")
    open_notice(store, tender_id)
    # what a stranger typed, as the buyer will read it (page and CSV): no NUL (PostgreSQL refused it: a 500),
    # no other control or bidi characters; the note keeps its line breaks, the capacity is one line
    note = (paragraph(note, len(note) + 1) or "").strip()
    capacity = (one_line(capacity, len(capacity) + 1) or "").strip()  # the caps below, not the hygiene's, apply
    if len(note) > NOTE_MAX:
        raise InterestError(f"the note takes at most {NOTE_MAX} characters")
    if len(capacity) > CAPACITY_MAX:
        raise InterestError(f"the capacity takes at most {CAPACITY_MAX} characters")
    buyers = BuyerStore(store)
    buyers.save_interest(tender_id, key, who.as_dict(), note=note or None, capacity=capacity or None,
                         joint_bid=joint_bid, share_contact=share_contact)  # fmt: skip
    row = buyers.interest_of(tender_id, key)
    assert row is not None
    return row


def lower_hand(store: Store, key: str, tender_id: str) -> bool:
    return BuyerStore(store).withdraw_interest(tender_id, key)


def interest_url(settings: Settings, key: str, tender_id: str, language: str = "sv") -> str:
    """The signed link that lets this subscriber show interest (the digest's per-subscriber token)."""
    from urllib.parse import quote

    token = feedback_token(settings.secret_key(), key)
    return f"{settings.base_url}/interest?token={token}&tender={quote(tender_id, safe=':')}&lang={language}"


INTEREST_CSV_HEADER = ("organisation", "org_number", "municipality", "sectors", "capacity", "could_bid_together",
                       "note", "contact", "since")  # fmt: skip


def interest_rows(rows: list[Interest], *, with_contact: bool) -> list[list[Any]]:
    """The interested enterprises as a table: the contact only where shared and only for the buyer."""
    return [
        [r.organisation, r.org_number or "", r.municipality or "", "; ".join(r.sectors), r.capacity or "",
         "yes" if r.joint_bid else "no", r.note or "", (r.email or "") if with_contact else "",
         r.created_at.strftime("%Y-%m-%d")]
        for r in rows
    ]  # fmt: skip


def interest_shown(store: Store, county: str, year: int, municipality: str | None = None) -> dict[str, int]:
    """The interest enterprises showed during ``year`` in the buyers' own notices placed in ``county``
    (or its ``municipality``): each enterprise once per notice, a hand taken back not counted. The
    October report's figures: ``interest_shown`` (hands), ``interested_enterprises``, ``notices_with_interest``."""
    buyers = BuyerStore(store)
    hands: list[Interest] = []
    for notice in buyers.notices():
        tender = store.get(notice.tender_id)
        if tender is None:
            continue
        place = where(tender.to_dict())
        if place.county != county or (municipality is not None and place.municipality != municipality):
            continue
        hands += [row for row in buyers.interest(notice.tender_id) if row.created_at.year == year]
    return {"interest_shown": len(hands), "interested_enterprises": len({row.subscriber for row in hands}),
            "notices_with_interest": len({row.tender_id for row in hands})}  # fmt: skip
