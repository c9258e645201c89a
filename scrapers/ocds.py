"""OCDS release packages (UK Find a Tender, Contracts Finder) -> Tenders, one per ocid.

The releases of one ``ocid`` in a package are merged into a compiled release with the
field's own library (``ocdsmerge``): an amendment release carries only what changed, and
taken alone it would blank the rest. Keyed by ``ocid``, so a later package's release of the
same procedure updates the tender and keeps the earlier one in its history (a release in a
later package is merged only with the releases of its own package).

The reserved-participation extension maps to the eForms codes; the UK's ``smeVcse``
(reserved to SMEs and VCSEs) and Contracts Finder's ``suitability.vcse`` (suitable for
voluntary, community and social enterprises) are kept as ``vcse``; both are read on the
tender and on each lot. Places come from ``tender.items[].deliveryAddresses`` (and the
tender's own, where a publisher puts them there); the UK's nations as a country name
("England", "Wales", "Scotland", "Northern Ireland") are GB.

A ``region`` is a place only when it is a NUTS code or a name in ``UK_REGIONS``: Contracts
Finder writes region names ("North East"), and the first two letters of a name are no country
("North East" is not Norway). Any other name leaves the tender unplaced.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import ocdsmerge
import pycountry

from scrapers.errors import ParseError
from tenders.codes import amount, country_alpha2, cpv
from tenders.model import Lot, Tender, union

log = logging.getLogger(__name__)
RESERVED = {"shelteredWorkshop": "res-ws", "publicServiceMissionOrganization": "res-pub-ser"}
VCSE_RESERVED = "smeVcse"  # UK: reserved to small and medium enterprises and VCSEs
UK_NATIONS = frozenset({"england", "wales", "scotland", "northern ireland", "great britain", "united kingdom", "uk"})
# The UK's twelve NUTS 1 regions by name (NUTS 2016; the list "NUTS statistical regions of the
# United Kingdom", Wikipedia, after Eurostat and the ONS). Only these names are mapped.
UK_REGIONS = {
    "north east": "UKC", "north west": "UKD", "yorkshire and the humber": "UKE", "east midlands": "UKF",
    "west midlands": "UKG", "east of england": "UKH", "london": "UKI", "south east": "UKJ", "south west": "UKK",
    "wales": "UKL", "scotland": "UKM", "northern ireland": "UKN",
}  # fmt: skip
_NUTS = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")
# No schema is fetched (no network at run time): without one, ocdsmerge merges objects key by
# key and arrays of objects by their ``id``, which is what releases of one procedure need.
_MERGER = ocdsmerge.Merger(merge_rules={})
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
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for release in releases:
        if isinstance(release, dict) and release.get("ocid"):
            by_ocid.setdefault(str(release["ocid"]), []).append(release)
    out = []
    for ocid, group in by_ocid.items():
        group.sort(key=lambda r: str(r.get("date") or ""))
        try:
            compiled = _MERGER.create_compiled_release(group)
        except (ocdsmerge.exceptions.OCDSMergeError, TypeError, ValueError) as exc:
            log.warning("%s: the releases of %s cannot be merged (%s); the newest is read alone", origin, ocid, exc)
            compiled = dict(group[-1])
        compiled["tag"] = group[-1].get("tag") or []  # what the newest release says happened
        out.append(_tender(compiled, source))
    return out


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
    lots = [lot for lot in tender.get("lots") or [] if isinstance(lot, dict) and lot.get("id")]
    lot_reserved = {str(lot["id"]): _reserved(lot) for lot in lots}
    reserved = union([_reserved(tender), *lot_reserved.values()])
    vcse = _vcse(tender)
    for lot in lots:
        lot_vcse = _vcse(lot)
        vcse = True if True in (vcse, lot_vcse) else (vcse if vcse is not None else lot_vcse)
    items = [item for item in tender.get("items") or [] if isinstance(item, dict)]
    addresses = [a for item in items for a in item.get("deliveryAddresses") or []]
    addresses += list(tender.get("deliveryAddresses") or [])
    places = union([[c for a in addresses if isinstance(a, dict) and (c := nuts_code(a.get("region")))]])
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
        buyer_country=_country(address) or _country_from_nuts(nuts_code(address.get("region"))),
        buyer_nuts=nuts_code(address.get("region")),
        nuts=places,
        cpv_main=cpvs[0] if cpvs else None,
        cpv_additional=cpvs[1:],
        estimated_value=amount(str(value["amount"])) if value.get("amount") is not None else None,
        currency=value.get("currency"),
        deadline=(tender.get("tenderPeriod") or {}).get("endDate"),
        published=str(release.get("date"))[:10] if release.get("date") else None,
        reserved_participation=reserved,
        vcse=vcse,
        winners=_winners(release, parties),
        documents_url=_documents(tender),
    )
    for lot in lots:
        lot_value = lot.get("value") or {}
        out.lots.append(
            Lot(
                id=str(lot["id"]),
                title=lot.get("title"),
                description=lot.get("description"),
                estimated_value=amount(str(lot_value["amount"])) if lot_value.get("amount") is not None else None,
                currency=lot_value.get("currency"),
                # A reservation on the tender covers every lot; one on a lot, that lot.
                reserved_participation=union([_reserved(tender), lot_reserved[str(lot["id"])]]),
            )
        )
    return out


def _documents(tender: dict[str, Any]) -> str | None:
    """Where the documents are: ``tender.documents`` (the bidding documents first), else
    ``submissionMethodDetails`` when it is a web address (OCDS puts the e-procurement platform there)."""
    documents = [d for d in tender.get("documents") or [] if isinstance(d, dict) and _web(d.get("url"))]
    documents.sort(key=lambda d: d.get("documentType") != "biddingDocuments")
    if documents:
        return str(documents[0]["url"])
    details = tender.get("submissionMethodDetails")
    return details.strip() if _web(details) and isinstance(details, str) else None


def _web(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(("https://", "http://"))


def _reserved(scope: dict[str, Any]) -> list[str]:
    codes = (scope.get("otherRequirements") or {}).get("reservedParticipation") or []
    return [RESERVED[c] for c in codes if isinstance(c, str) and c in RESERVED]


def _vcse(scope: dict[str, Any]) -> bool | None:
    """True where the tender or lot is reserved to, or said to suit, VCSEs; None where it does not say."""
    codes = (scope.get("otherRequirements") or {}).get("reservedParticipation") or []
    if VCSE_RESERVED in codes:
        return True
    said = (scope.get("suitability") or {}).get("vcse")
    return said if isinstance(said, bool) else None


def _country(address: dict[str, Any]) -> str | None:
    """``countryName`` (a name: "England", "Sweden") or ``country`` (a code) -> ISO alpha-2."""
    name = str(address.get("countryName") or "").strip()
    if name.lower() in UK_NATIONS:
        return "GB"
    if name:
        try:
            return str(pycountry.countries.lookup(name).alpha_2)
        except LookupError:
            pass
    return country_alpha2(address.get("countryName")) or country_alpha2(address.get("country"))


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


def nuts_code(region: Any) -> str | None:
    """A NUTS code as given, a UK region's name as its code, anything else None (unplaced)."""
    text = str(region or "").strip()
    if _NUTS.match(text):
        return text
    return UK_REGIONS.get(" ".join(text.lower().split()))


def _country_from_nuts(region: Any) -> str | None:
    return country_alpha2(str(region)[:2]) if region else None
