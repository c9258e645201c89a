"""Subscribers and which tenders each one gets: region, sector, keywords, score.

Most Swedish channels (RSS items, municipal pages, alert mails, buyers' forms) carry neither a
CPV code nor a NUTS code, so "let through what does not say" would send every tender to every
profile. Instead:

- **Sector.** A tender without a CPV code goes to a sector's profile only when the words name
  that sector: the sector model above ``sector_threshold()`` (chosen on held-out training titles,
  ``matching/train.py``) or the sector's words (``data/sectors.yaml``). A profile may opt in to
  tenders whose sector is uncertain (``sector_uncertain``); the digest marks them.
- **Place.** A tender without a NUTS code is placed by its buyer (``tenders.facts.where``:
  organisation number, else official name; a joint body by the member its title names). A tender
  still unplaced goes only to profiles that cover all of Sweden or opt in (``unplaced``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from tenders import orgnr
from tenders.addresses import address_problem
from tenders.facts import where
from tenders.model import Tender
from tenders.places import county_named, county_names, county_of_municipality

DATA = Path(__file__).resolve().parent / "data"
UNCERTAIN_FLOOR = 0.1  # a sector this probable, below the threshold, is "uncertain" for the profiles that opt in

LANGUAGES = ("sv", "en")
FREQUENCIES = ("instant", "daily", "weekly")  # instant: reserved contracts at once, the rest daily
RESERVED_REASONS = frozenset({"reserved_participation", "reserved_execution", "text_reserved"})


class SubscriberError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Subscriber:
    key: str
    organisation: str
    email: str
    language: str = "sv"
    regions: tuple[str, ...] = ()
    cpv: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # a tender naming any of these is left out, whatever its score
    contacts: tuple[str, ...] = ()  # more addresses that get the same digests
    min_score: float = 0.5
    org_number: str | None = None
    frequency: str = "daily"
    timezone: str = "Europe/Stockholm"
    send_hour: int = 7  # local time of the daily or weekly digest (weekly: on Mondays)
    sector_uncertain: bool = False  # also tenders whose words do not clearly say what is bought
    unplaced: bool = False  # also tenders that neither a NUTS code nor the buyer places
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def next_slot(self, now: datetime) -> datetime:
        """When the next scheduled digest is due, as naive UTC (the store's time)."""
        zone = ZoneInfo(self.timezone)
        local = now.replace(tzinfo=UTC).astimezone(zone)
        slot = local.replace(hour=self.send_hour, minute=0, second=0, microsecond=0)
        if slot <= local:
            slot = (local + timedelta(days=1)).replace(hour=self.send_hour, minute=0, second=0, microsecond=0)
        if self.frequency == "weekly":
            while slot.weekday() != 0:
                slot = (slot + timedelta(days=1)).replace(hour=self.send_hour)
        # Re-anchor in the zone: a slot across a DST change keeps its local hour.
        slot = slot.replace(tzinfo=None).replace(tzinfo=zone)
        return slot.astimezone(UTC).replace(tzinfo=None)

    @property
    def addresses(self) -> str:
        """Every address of the subscriber, as one To: value."""
        return ", ".join((self.email, *self.contacts))

    def urgent(self, reasons: Iterable[dict[str, Any]]) -> bool:
        """Sent at once, not kept for the digest: a reserved contract, for an instant subscriber.

        Judged on the classifier's reasons, so a reservation said only in the text counts too.
        """
        return self.frequency == "instant" and any(r["code"] in RESERVED_REASONS for r in reasons)

    def wants(self, tender: Tender, score: float, sectors: Sequence[dict[str, Any]] = (),
              places: Sequence[str] | None = None) -> bool:  # fmt: skip
        """``sectors``: the verdict's (``Assessment.sectors``); ``places``: ``places_of(tender)`` when known."""
        return (
            score >= self.min_score
            and self._in_region(tender, places_of(tender) if places is None else places)
            and self.sector_fit(tender, sectors) in (("yes", "uncertain") if self.sector_uncertain else ("yes",))
            and self._has_keyword(tender)
            and not self._excluded(tender)
        )

    def _in_region(self, tender: Tender, places: Sequence[str]) -> bool:
        if not self.regions:
            return True
        if places:
            return any(p.startswith(r) for p in places for r in self.regions)
        # Unplaced: for a profile of the whole country, and for those who ask for such tenders.
        country = tender.buyer_country
        return self.unplaced or any(len(r) == 2 and (country is None or r == country) for r in self.regions)

    def sector_fit(self, tender: Tender, sectors: Sequence[dict[str, Any]]) -> str:
        """Whether the tender is of this profile's sectors: "yes"; "uncertain" (no CPV code, the
        words name no sector clearly, and the sector model gives one of this profile's at least
        ``UNCERTAIN_FLOOR``); or "no"."""
        if not self.cpv:
            return "yes"
        codes = tender.all_cpv
        if codes:
            return "yes" if any(c.startswith(p) for c in codes for p in self.cpv) else "no"
        threshold = sector_threshold()
        clear = [s for s in sectors if s.get("by") != "text" or float(s.get("probability", 0.0)) >= threshold]
        if any(_overlaps(str(s.get("sector")), self.cpv) for s in clear):
            return "yes"
        if clear:
            return "no"  # the words say clearly what is bought, and it is none of this profile's sectors
        mine = [s for s in sectors if _overlaps(str(s.get("sector")), self.cpv)]
        return "uncertain" if any(float(s.get("probability", 0.0)) >= UNCERTAIN_FLOOR for s in mine) else "no"

    def _has_keyword(self, tender: Tender) -> bool:
        return not self.keywords or any(k.lower() in _text(tender) for k in self.keywords)

    def _excluded(self, tender: Tender) -> bool:
        return bool(self.exclude) and any(k.lower() in _text(tender) for k in self.exclude)


def places_of(tender: Tender) -> list[str]:
    """The tender's NUTS codes (the buyer's and the places of performance), else its buyer's county
    (``tenders.facts.where``), else none: unplaced."""
    codes = tender.all_nuts + ([tender.buyer_nuts] if tender.buyer_nuts else [])
    if codes:
        return codes
    county = where({"buyer_org_id": tender.buyer_org_id, "buyer_name": tender.buyer_name, "title": tender.title}).county
    return [county] if county else []


def place_of(tender: Tender) -> dict[str, Any] | None:
    """Where the tender is, as matching reads it, for people and ``tender-radar match``: a Swedish
    county by name (and the buyer's municipality), and how it was found ("nuts", "org_number",
    "name", "title"); other countries' NUTS codes as given; None when nothing places it."""
    found = where({"buyer_org_id": tender.buyer_org_id, "buyer_name": tender.buyer_name, "title": tender.title,
                   "buyer_nuts": tender.buyer_nuts, "nuts": tender.all_nuts})  # fmt: skip
    if found.county:
        return {"county": found.county, "county_name": county_names().get(found.county, found.county),
                "municipality": found.municipality, "by": found.by}  # fmt: skip
    codes = places_of(tender)
    return {"nuts": codes, "by": "nuts"} if codes else None


@lru_cache(maxsize=1)
def sector_threshold() -> float:
    """The sector model's probability above which its reading of the words counts as clear."""
    import json

    return float(json.loads((DATA / "sector-threshold.json").read_text(encoding="utf-8"))["threshold"])


def _overlaps(sector: str, prefixes: Sequence[str]) -> bool:
    """A sector (``data/sectors.yaml``) and a profile's CPV prefixes name some of the same codes."""
    return any(a.startswith(b) or b.startswith(a) for a in typical_sectors().get(sector, ()) for b in prefixes)


def _text(tender: Tender) -> str:
    return " ".join(filter(None, [tender.title, tender.description, *(lot.title for lot in tender.lots)])).lower()


valid_org_number = orgnr.valid  # the check lives in tenders.orgnr; kept here for callers


class Scored(Protocol):
    @property
    def tender(self) -> Tender: ...

    @property
    def score(self) -> float: ...


S = TypeVar("S", bound=Scored)


def match_all(subscribers: Sequence[Subscriber], items: Iterable[S]) -> dict[str, list[S]]:
    """Each subscriber's matching items. An index on region codes keeps this from being
    subscribers x tenders: a tender is tried only on the subscribers of its places (and on
    those who want every place); ``Subscriber.wants`` stays the one rule that decides."""
    by_region: dict[str, list[Subscriber]] = {}
    by_country: dict[str, list[Subscriber]] = {}
    anywhere: list[Subscriber] = []
    for sub in subscribers:
        if not sub.regions:
            anywhere.append(sub)
        for region in sub.regions:
            by_region.setdefault(region, []).append(sub)
            by_country.setdefault(region[:2], []).append(sub)
    regional = [s for s in subscribers if s.regions]
    unplaced = [s for s in regional if s.unplaced]
    lowest = min((s.min_score for s in subscribers), default=1.0)
    out: dict[str, list[S]] = {s.key: [] for s in subscribers}
    for item in items:
        if item.score < lowest:
            continue
        tender = item.tender
        places = places_of(tender)
        if places:
            candidates = {id(s): s for p in places for k in range(2, len(p) + 1) for s in by_region.get(p[:k], ())}
        elif tender.buyer_country:  # unplaced: the country's profiles, and those who ask for unplaced tenders
            candidates = {id(s): s for s in (*by_country.get(tender.buyer_country, ()), *unplaced)}
        else:
            candidates = {id(s): s for s in regional}
        sectors = getattr(item, "sectors", ())
        for sub in (*candidates.values(), *anywhere):
            if sub.wants(tender, item.score, sectors, places):
                out[sub.key].append(item)
    return out


def everything(language: str = "sv") -> Subscriber:
    """A subscriber who wants every tender: for previewing templates."""
    return Subscriber(key="preview", organisation="Preview", email="preview@example.org", language=language,
                      min_score=0.0)  # fmt: skip


def load_subscribers(path: Path) -> list[Subscriber]:
    """The subscribers an operator keeps in a YAML file (``subscribers.yaml``)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SubscriberError(f"{path}: cannot read the subscribers file: {exc}") from exc
    entries = doc.get("subscribers") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise SubscriberError(f"{path}: expected a top-level 'subscribers:' list")
    out: list[Subscriber] = []
    keys: set[str] = set()
    for index, entry in enumerate(entries):
        subscriber = parse_subscriber(entry, f"{path}: subscribers[{index}]")
        if subscriber.key in keys:
            raise SubscriberError(f"{path}: subscribers[{index}]: duplicate subscriber key {subscriber.key!r}")
        keys.add(subscriber.key)
        out.append(subscriber)
    return out


def parse_subscriber(entry: Any, where: str) -> Subscriber:
    """One subscriber from its profile (a YAML entry, a stored profile, a sign-up); errors name ``where``."""
    if not isinstance(entry, dict):
        raise SubscriberError(f"{where}: expected a mapping")
    email = str(entry.get("email") or "")
    if problem := address_problem(email):
        raise SubscriberError(f"{where}: 'email' {email!r} is not an email address ({problem})")
    contacts = tuple(str(c) for c in entry.get("contacts") or ())
    for contact in contacts:
        if problem := address_problem(contact):
            raise SubscriberError(f"{where}: contact {contact!r} is not an email address ({problem})")
    language = str(entry.get("language") or "sv")
    if language not in LANGUAGES:
        raise SubscriberError(f"{where}: 'language' must be one of {', '.join(LANGUAGES)}, not {language!r}")
    try:
        min_score = float(entry.get("min_score", 0.5))
    except (TypeError, ValueError):
        raise SubscriberError(f"{where}: 'min_score' must be a number between 0 and 1") from None
    if not 0.0 <= min_score <= 1.0:
        raise SubscriberError(f"{where}: 'min_score' must be between 0 and 1, not {min_score}")
    frequency = str(entry.get("frequency") or "daily")
    if frequency not in FREQUENCIES:
        raise SubscriberError(f"{where}: 'frequency' must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")
    timezone = str(entry.get("timezone") or "Europe/Stockholm")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SubscriberError(f"{where}: 'timezone' {timezone!r} is not a time zone such as Europe/Stockholm") from None
    send_hour = entry.get("send_hour", 7)
    if not isinstance(send_hour, int) or not 0 <= send_hour <= 23:
        raise SubscriberError(f"{where}: 'send_hour' must be a whole hour from 0 to 23, not {send_hour!r}")
    org_number = str(entry["org_number"]).strip() if entry.get("org_number") else None
    if org_number and not valid_org_number(org_number):
        raise SubscriberError(f"{where}: 'org_number' {org_number!r} is not a valid Swedish organisation number")
    sectors = tuple(str(x) for x in entry.get("sectors") or ())
    known = typical_sectors()
    unknown = [x for x in sectors if x not in known]
    if unknown:
        raise SubscriberError(f"{where}: unknown sector(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    cpv = tuple(str(c) for c in entry.get("cpv") or ()) + tuple(p for x in sectors for p in known[x])
    opt_in: dict[str, bool] = {}
    for name in ("sector_uncertain", "unplaced"):
        value = entry.get(name, False)
        if not isinstance(value, bool):
            raise SubscriberError(f"{where}: '{name}' must be true or false, not {value!r}")
        opt_in[name] = value
    return Subscriber(
        key=str(entry.get("key") or email.lower()),
        organisation=str(entry.get("organisation") or email),
        email=email,
        language=language,
        regions=tuple(region_code(str(r), where) for r in entry.get("regions") or ()),
        cpv=cpv,
        keywords=tuple(str(k) for k in entry.get("keywords") or ()),
        min_score=min_score,
        org_number=org_number,
        exclude=tuple(str(k) for k in entry.get("exclude") or ()),
        contacts=contacts,
        frequency=frequency,
        timezone=timezone,
        send_hour=send_hour,
        sector_uncertain=opt_in["sector_uncertain"],
        unplaced=opt_in["unplaced"],
    )


@lru_cache(maxsize=1)
def typical_sectors() -> dict[str, tuple[str, ...]]:
    """The social-enterprise sector taxonomy (matching/data/sectors.yaml): name -> CPV prefixes."""
    doc = yaml.safe_load((Path(__file__).resolve().parent / "data" / "sectors.yaml").read_text(encoding="utf-8"))
    return {name: tuple(spec["cpv"]) for name, spec in doc["typical"].items()}


def region_code(region: str, where: str = "") -> str:
    """A NUTS code as given (``SE312``); a Swedish county (``Dalarna``, ``Dalarnas län``); or a
    municipality (``Falun``, ``Falu kommun``), which stands for its county: TED places a tender
    no finer than NUTS 3."""
    text = region.strip()
    code = county_named(text) or county_of_municipality(text)
    if code:
        return code
    if re.fullmatch(r"[A-Za-z]{2}[0-9A-Za-z]{0,3}", text):  # names first: "Mora" is a place, not a code
        return text.upper()
    raise SubscriberError(f"{where}: region {region!r} is not a NUTS code, a Swedish county or a municipality")
