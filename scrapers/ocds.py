"""OCDS release packages (UK Find a Tender, Contracts Finder) -> Tenders, one per ocid.

Keyed by ``ocid``, so a later release of the same procedure (an amendment, the award)
updates the tender and keeps the earlier one in its history. The reserved-participation
extension maps to the eForms codes; Contracts Finder's ``suitability.vcse`` (suitable for
voluntary, community and social enterprises) is kept as ``vcse``.
"""

from __future__ import annotations

import json
from typing import Any

from scrapers.codes import amount, country_alpha2, cpv
from scrapers.errors import ParseError
from tenders.model import Lot, Tender, union

RESERVED = {"shelteredWorkshop": "res-ws", "publicServiceMissionOrganization": "res-pub-ser"}
TAGS = {
    "planning": "planning", "planningUpdate": "planning",
    "tender": "competition", "tenderUpdate": "change", "tenderAmendment": "change", "tenderCancellation": "change",
    "award": "result", "awardUpdate": "result", "contract": "result", "contractUpdate": "result",
}  # fmt: skip


def parse_ocds(data: bytes, origin: str, source: str) -> list[Tender]:
    try:
        package = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(origin, f"not JSON: {exc}") from None
    releases = package.get("releases") if isinstance(package, dict) else None
    if not isinstance(releases, list):
        raise ParseError(origin, "not an OCDS release package (no 'releases' list)")
    latest: dict[str, dict[str, Any]] = {}
    for release in releases:  # the newest release of each procedure wins
        if isinstance(release, dict) and release.get("ocid"):
            older = latest.get(release["ocid"])
            if older is None or str(release.get("date", "")) >= str(older.get("date", "")):
                latest[release["ocid"]] = release
    return [_tender(release, source) for release in latest.values()]


def _tender(release: dict[str, Any], source: str) -> Tender:
    tender = release.get("tender") or {}
    buyer = release.get("buyer") or {}
    parties = {p.get("id"): p for p in release.get("parties") or [] if isinstance(p, dict)}
    buyer_party = parties.get(buyer.get("id")) or next(
        (p for p in parties.values() if "buyer" in (p.get("roles") or [])), {}
    )
    address = buyer_party.get("address") or {}
    value = tender.get("value") or {}
    codes = [tender.get("classification") or {}] + [
        item.get("classification") or {} for item in tender.get("items") or [] if isinstance(item, dict)
    ]
    cpvs = union(
        [[c for c in (cpv(str(x.get("id"))) for x in codes if str(x.get("scheme", "")).upper() == "CPV") if c]]
    )
    reserved = union([[RESERVED[r] for r in (tender.get("otherRequirements") or {}).get("reservedParticipation") or []
                       if r in RESERVED]])  # fmt: skip
    places = [
        str(a.get("region")) for a in (tender.get("deliveryAddresses") or []) if isinstance(a, dict) and a.get("region")
    ]
    suitability = tender.get("suitability") or {}
    tags = [t for t in release.get("tag") or [] if t in TAGS]
    out = Tender(
        source=source,
        notice_id=str(release["ocid"]),
        procedure_id=str(tender.get("id")) if tender.get("id") else None,
        notice_type=TAGS[tags[-1]] if tags else "other",
        title=tender.get("title"),
        description=tender.get("description"),
        language=(release.get("language") or None),
        buyer_name=buyer.get("name") or buyer_party.get("name"),
        buyer_org_id=((buyer_party.get("identifier") or {}).get("id")),
        buyer_country=country_alpha2(address.get("countryName")) or _country_from_nuts(address.get("region")),
        buyer_nuts=address.get("region"),
        nuts=places,
        cpv_main=cpvs[0] if cpvs else None,
        cpv_additional=cpvs[1:],
        estimated_value=amount(str(value["amount"])) if value.get("amount") is not None else None,
        currency=value.get("currency"),
        deadline=(tender.get("tenderPeriod") or {}).get("endDate"),
        published=str(release.get("date"))[:10] if release.get("date") else None,
        reserved_participation=reserved,
        vcse=suitability.get("vcse") if isinstance(suitability.get("vcse"), bool) else None,
        winners=_winners(release, parties),
    )
    for lot in tender.get("lots") or []:
        if isinstance(lot, dict) and lot.get("id"):
            lot_value = lot.get("value") or {}
            out.lots.append(
                Lot(
                    id=str(lot["id"]),
                    title=lot.get("title"),
                    description=lot.get("description"),
                    estimated_value=amount(str(lot_value["amount"])) if lot_value.get("amount") is not None else None,
                    currency=lot_value.get("currency"),
                    reserved_participation=list(reserved),
                )
            )
    return out


def _winners(release: dict[str, Any], parties: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    """The suppliers of active (or pending) awards, by their registered identifier where given."""
    out: list[dict[str, Any]] = []
    for award in release.get("awards") or []:
        if not isinstance(award, dict) or award.get("status") in ("cancelled", "unsuccessful"):
            continue
        for supplier in award.get("suppliers") or []:
            if not isinstance(supplier, dict):
                continue
            party = parties.get(supplier.get("id")) or {}
            org_id = (party.get("identifier") or {}).get("id")
            winner = {"org_id": str(org_id) if org_id else None, "name": supplier.get("name") or party.get("name")}
            if winner not in out:
                out.append(winner)
    return out


def _country_from_nuts(region: Any) -> str | None:
    return country_alpha2(str(region)[:2]) if region else None
