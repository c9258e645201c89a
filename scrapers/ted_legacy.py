"""Legacy TED XML (R2.0.8 / R2.0.9 ``TED_EXPORT``) -> Tender.

The reserved-contract elements map to the eForms codes the way the Publications
Office's converter maps them, so a notice reads the same in both formats:
``RESTRICTED_SHELTERED_WORKSHOP`` -> BT-71 ``res-ws``,
``RESERVED_ORGANISATIONS_SERVICE_MISSION`` -> BT-71 ``res-pub-ser``,
``RESTRICTED_SHELTERED_PROGRAM`` -> BT-736 reserved execution.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from tenders.codes import amount, country_alpha2, cpv, language_alpha2
from tenders.model import Lot, Tender, union

# Form element -> notice type; F01/F21-F23 also say it in <NOTICE TYPE=...>.
FORM_TYPES = {
    "F01": "planning", "F04": "planning", "F16": "planning",
    "F02": "competition", "F05": "competition", "F07": "competition", "F12": "competition",
    "F17": "competition", "F24": "competition",
    "F03": "result", "F06": "result", "F13": "result", "F15": "result", "F18": "result",
    "F19": "result", "F25": "result",
    "F14": "change", "F20": "change",
    "F08": "other",
}  # fmt: skip
NOTICE_ATTR_TYPES = {
    "PRI_ONLY": "planning",
    "PRI_REDUCING_TIME_LIMITS": "planning",
    "PRI_CALL_COMPETITION": "competition",
    "QSU_ONLY": "competition",
    "QSU_CALL_COMPETITION": "competition",
    "CONTRACT": "competition",
    "AWARD_CONTRACT": "result",
}
RESERVED_PARTICIPATION = {
    "RESTRICTED_SHELTERED_WORKSHOP": "res-ws",
    "RESERVED_ORGANISATIONS_SERVICE_MISSION": "res-pub-ser",
}
_FORM_NAME = re.compile(r"^(F\d\d)_2014$")


def _x(path: str) -> etree.XPath:
    return etree.XPath(path, smart_strings=False)


# Namespace-agnostic paths: R2.0.8 and R2.0.9 live in different namespaces.
def _p(*steps: str) -> str:
    return "/".join(f"*[local-name()='{s}']" for s in steps)


X_DOC_ID = _x("@DOC_ID")
X_DATE_PUB = _x(_p("CODED_DATA_SECTION", "REF_OJS", "DATE_PUB") + "/text()")
X_LG_ORIG = _x(_p("CODED_DATA_SECTION", "NOTICE_DATA", "LG_ORIG") + "/text()")
X_COUNTRY = _x(_p("CODED_DATA_SECTION", "NOTICE_DATA", "ISO_COUNTRY") + "/@VALUE")
X_PERF_NUTS = _x(_p("CODED_DATA_SECTION", "NOTICE_DATA", "PERFORMANCE_NUTS") + "/@CODE")
X_FORMS = _x(_p("FORM_SECTION") + "/*")
X_BODY = _x(_p("CONTRACTING_BODY", "ADDRESS_CONTRACTING_BODY"))
X_DOCUMENTS = _x(_p("CONTRACTING_BODY", "URL_DOCUMENT") + "/text()")  # where the procurement documents are
X_OBJECT = _x(_p("OBJECT_CONTRACT"))
X_NOTICE = _x(_p("NOTICE") + "/@TYPE")
X_LEFTI = _x(_p("LEFTI") + "/*")
X_PROCEDURE = _x(_p("PROCEDURE"))
X_CONTRACTORS = _x(
    _p("AWARD_CONTRACT", "AWARDED_CONTRACT", "CONTRACTORS", "CONTRACTOR", "ADDRESS_CONTRACTOR")
    + " | "
    + _p("RESULTS", "AWARDED_PRIZE", "WINNER", "ADDRESS_WINNER")  # a design contest's prize winners
)


def _child(el: Any, name: str) -> Any:
    for child in el:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return child
    return None


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _text(el: Any) -> str | None:
    if el is None:
        return None
    text = " ".join(" ".join(el.itertext()).split())
    return text or None


def parse_ted_legacy(root: etree._Element, source: str = "ted") -> Tender:
    doc_id = (_first(X_DOC_ID(root)) or "").strip()
    if not doc_id:
        raise ValueError("no DOC_ID: a TED notice without its publication number")
    lg_orig = (_first(X_LG_ORIG(root)) or "").strip()
    form = _original_form(root, lg_orig)
    form_name = _FORM_NAME.match(etree.QName(form).localname) if form is not None else None
    notice_attr = _first(X_NOTICE(form)) if form is not None else None
    notice_type = NOTICE_ATTR_TYPES.get(notice_attr or "") or FORM_TYPES.get(
        form_name.group(1) if form_name else "", "other"
    )

    tender = Tender(
        source=source,
        notice_id=doc_id,
        notice_type=notice_type,
        language=language_alpha2(lg_orig) or (language_alpha2(form.get("LG")) if form is not None else None),
        published=_date(_first(X_DATE_PUB(root))),
        url=f"https://ted.europa.eu/en/notice/-/detail/{doc_id}",
    )
    if form is None:
        tender.buyer_country = country_alpha2(_first(X_COUNTRY(root)))
        return tender

    body = _first(X_BODY(form))
    if body is not None:
        tender.buyer_name = _text(_child(body, "OFFICIALNAME"))
        tender.buyer_org_id = _text(_child(body, "NATIONALID"))
        country = _child(body, "COUNTRY")
        tender.buyer_country = country_alpha2(country.get("VALUE") if country is not None else None)
        nuts = _child(body, "NUTS")
        tender.buyer_nuts = nuts.get("CODE") if nuts is not None else None
    if tender.buyer_country is None:
        tender.buyer_country = country_alpha2(_first(X_COUNTRY(root)))
    documents = [u.strip() for u in X_DOCUMENTS(form) if u.strip().lower().startswith(("https://", "http://"))]
    tender.documents_url = documents[0] if documents else None

    reserved: list[str] = []
    reserved_execution: bool | None = None
    for el in X_LEFTI(form):
        name = etree.QName(el).localname
        if name in RESERVED_PARTICIPATION:
            reserved.append(RESERVED_PARTICIPATION[name])
        elif name == "RESTRICTED_SHELTERED_PROGRAM":
            reserved_execution = True
    tender.reserved_participation = reserved
    tender.reserved_execution = reserved_execution

    obj = _first(X_OBJECT(form))
    if obj is not None:
        _fill_object(tender, obj)
    tender.deadline = _deadline(form)
    for lot in tender.lots:
        # Section III applies to the whole contract, hence to every lot.
        lot.reserved_participation = list(reserved)
        lot.reserved_execution = reserved_execution
        lot.deadline = tender.deadline
    if not tender.nuts:
        tender.nuts = [n for n in X_PERF_NUTS(root) if n]
    if tender.notice_type == "result":
        winners = [{"org_id": _text(_child(c, "NATIONALID")), "name": _text(_child(c, "OFFICIALNAME"))}
                   for c in X_CONTRACTORS(form)]  # fmt: skip
        tender.winners = [w for i, w in enumerate(winners) if w not in winners[:i]]
    return tender


def _original_form(root: etree._Element, lg_orig: str) -> Any:
    forms = [f for f in X_FORMS(root) if isinstance(f.tag, str)]
    for form in forms:
        if form.get("CATEGORY") == "ORIGINAL":
            return form
    for form in forms:
        if form.get("LG") == lg_orig:
            return form
    return forms[0] if forms else None


def _fill_object(tender: Tender, obj: Any) -> None:
    tender.title = _text(_child(obj, "TITLE"))
    tender.description = _text(_child(obj, "SHORT_DESCR"))
    tender.procedure_id = None
    main = _child(obj, "CPV_MAIN")
    if main is not None:
        code = _child(main, "CPV_CODE")
        tender.cpv_main = cpv(code.get("CODE")) if code is not None else None
    value = _child(obj, "VAL_ESTIMATED_TOTAL")
    if value is not None:
        tender.estimated_value = amount(value.text)
        tender.currency = value.get("CURRENCY")

    divided = _child(obj, "NO_LOT_DIVISION") is None
    for descr in _children(obj, "OBJECT_DESCR"):
        lot_no = _text(_child(descr, "LOT_NO"))
        if lot_no and lot_no.isdigit():
            lot_id = f"LOT-{int(lot_no):04d}"
        elif lot_no:
            lot_id = lot_no
        else:
            lot_id = "LOT-0000" if not divided else f"LOT-{int(descr.get('ITEM', '0') or 0):04d}"
        lot = Lot(id=lot_id)
        lot.title = _text(_child(descr, "TITLE")) or (None if divided else tender.title)
        lot.description = _text(_child(descr, "SHORT_DESCR"))
        lot.cpv_additional = union(
            [[c for c in (cpv(code.get("CODE")) for add in _children(descr, "CPV_ADDITIONAL")
                          for code in _children(add, "CPV_CODE")) if c]]
        )  # fmt: skip
        lot.cpv_main = tender.cpv_main
        lot.nuts = [n.get("CODE") for n in _children(descr, "NUTS") if n.get("CODE")]
        lot_value = _child(descr, "VAL_OBJECT")
        if lot_value is not None:
            lot.estimated_value = amount(lot_value.text)
            lot.currency = lot_value.get("CURRENCY")
        tender.lots.append(lot)

    tender.nuts = union(lot.nuts for lot in tender.lots)
    extra = union(lot.cpv_additional for lot in tender.lots)
    tender.cpv_additional = [c for c in extra if c != tender.cpv_main]


def _deadline(form: Any) -> str | None:
    procedure = _first(X_PROCEDURE(form))
    if procedure is None:
        return None
    day = _text(_child(procedure, "DATE_RECEIPT_TENDERS"))
    if not day:
        return None
    time = _text(_child(procedure, "TIME_RECEIPT_TENDERS"))
    # TED legacy dates carry no time zone; say only what the notice says.
    return f"{day}T{time}:00" if time and len(time) == 5 else day


def _date(value: str | None) -> str | None:
    """``20190226`` -> ``2019-02-26``."""
    if not value or len(value.strip()) != 8:
        return None
    v = value.strip()
    return f"{v[:4]}-{v[4:6]}-{v[6:]}"


def _first(values: Any) -> Any:
    return values[0] if values else None
