"""eForms (UBL 2.3) notices -> Tender: every notice type, procedure and lot level.

Field names follow the eForms business terms: BT-71 reserved participation,
BT-736 reserved execution, BT-06 strategic procurement, BT-775 social objective.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from tenders.codes import amount, country_alpha2, cpv, language_alpha2
from tenders.model import Lot, Tender, union

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
    "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1",
    "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
}
ROOTS = frozenset(
    {"ContractNotice", "ContractAwardNotice", "PriorInformationNotice", "BusinessRegistrationInformationNotice"}
)

# BT-02 form types (the listName of NoticeTypeCode) -> the model's notice_type.
FORM_TYPES = {
    "planning": "planning",
    "consultation": "planning",
    "competition": "competition",
    "result": "result",
    "dir-awa-pre": "result",
    "cont-modif": "change",
    "change": "change",
    "completion": "other",
    "bri": "other",
}
_NO_CODES = {"none", ""}


def _x(path: str) -> etree.XPath:
    return etree.XPath(path, namespaces=NS, smart_strings=False)


_EXT = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension"
X_PUB_ID = _x(f"{_EXT}/efac:Publication/efbc:NoticePublicationID/text()")
X_PUB_DATE = _x(f"{_EXT}/efac:Publication/efbc:PublicationDate/text()")
X_ORGS = _x(f"{_EXT}/efac:Organizations/efac:Organization/efac:Company")
X_NOTICE_ID = _x("cbc:ID/text()")
X_FOLDER = _x("cbc:ContractFolderID/text()")
X_TYPE = _x("cbc:NoticeTypeCode")
X_LANG = _x("cbc:NoticeLanguageCode/text()")
X_BUYER_IDS = _x("cac:ContractingParty/cac:Party/cac:PartyIdentification/cbc:ID/text()")
X_PROJECT = _x("cac:ProcurementProject")
# Lots, and the parts of a PIN (PAR-…); not the groups of lots (GLO-…).
X_LOTS = _x("cac:ProcurementProjectLot[not(cbc:ID/@schemeName='LotsGroup')]")
X_ID = _x("cbc:ID/text()")
X_NAME = _x("cbc:Name")
X_DESC = _x("cbc:Description")
X_CPV_MAIN = _x("cac:MainCommodityClassification/cbc:ItemClassificationCode/text()")
X_CPV_ADD = _x("cac:AdditionalCommodityClassification/cbc:ItemClassificationCode/text()")
X_NUTS = _x("cac:RealizedLocation/cac:Address/cbc:CountrySubentityCode/text()")
X_VALUE = _x("cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount")
X_ADDITIONAL = _x("cac:ProcurementAdditionalType/cbc:ProcurementTypeCode")
X_RESERVED = _x(
    "cac:TenderingTerms/cac:TendererQualificationRequest/cac:SpecificTendererRequirement"
    "/cbc:TendererRequirementTypeCode[@listName='reserved-procurement']/text()"
)
X_RES_EXEC = _x(
    "cac:TenderingTerms/cac:ContractExecutionRequirement"
    "/cbc:ExecutionRequirementCode[@listName='reserved-execution']/text()"
)
X_DEADLINE = _x("cac:TenderingProcess/cac:TenderSubmissionDeadlinePeriod")
X_DOCUMENTS = _x(  # BT-15: where the procurement documents are
    "cac:TenderingTerms/cac:CallForTendersDocumentReference/cac:Attachment/cac:ExternalReference/cbc:URI/text()"
)
X_PARTICIPATION = _x("cac:TenderingProcess/cac:ParticipationRequestReceptionPeriod")
X_END_DATE = _x("cbc:EndDate/text()")
X_END_TIME = _x("cbc:EndTime/text()")
X_ORG_ID = _x("cac:PartyIdentification/cbc:ID/text()")
X_ORG_NAME = _x("cac:PartyName/cbc:Name")
X_ORG_COMPANY_ID = _x("cac:PartyLegalEntity/cbc:CompanyID/text()")
X_ORG_COUNTRY = _x("cac:PostalAddress/cac:Country/cbc:IdentificationCode/text()")
X_ORG_NUTS = _x("cac:PostalAddress/cbc:CountrySubentityCode/text()")
_RESULT = f"{_EXT}/efac:NoticeResult"
X_WINNING_TENDERS = _x(f"{_RESULT}/efac:LotResult[cbc:TenderResultCode='selec-w']/efac:LotTender/cbc:ID/text()")
X_CONTRACT_TENDERS = _x(f"{_RESULT}/efac:SettledContract/efac:LotTender/cbc:ID/text()")  # BT-3202
X_LOT_TENDERS = _x(f"{_RESULT}/efac:LotTender")
X_TENDERING_PARTIES = _x(f"{_RESULT}/efac:TenderingParty")
X_PARTY_ID = _x("efac:TenderingParty/cbc:ID/text()")
X_TENDERERS = _x("efac:Tenderer/cbc:ID/text()")


def parse_eforms(root: etree._Element, source: str = "ted") -> Tender:
    """Read one eForms notice; ``root`` is its document element."""
    lang3 = _first(X_LANG(root))
    type_el = _first(X_TYPE(root))
    form_type = type_el.get("listName", "") if type_el is not None else ""
    pub_id = _clean(_first(X_PUB_ID(root)))
    notice_uuid = _clean(_first(X_NOTICE_ID(root)))
    if not (pub_id or notice_uuid):
        raise ValueError("no notice identifier (BT-701) and no publication number (OPP-010)")

    project = _first(X_PROJECT(root))
    tender = Tender(
        source=source,
        notice_id=pub_id or notice_uuid or "",
        procedure_id=_clean(_first(X_FOLDER(root))),
        notice_type=FORM_TYPES.get(form_type, "other"),
        language=language_alpha2(lang3),
        published=_date(_first(X_PUB_DATE(root))),
        url=f"https://ted.europa.eu/en/notice/-/detail/{pub_id}" if pub_id else None,
    )
    _fill_buyer(tender, root, lang3)
    if tender.notice_type == "result":
        tender.winners = _winners(root, lang3)
    if project is not None:
        _fill_project(tender, project, lang3)
        tender.strategic_procurement, tender.social_objectives = _strategic(project)

    for lot_el in X_LOTS(root):
        tender.lots.append(_lot(lot_el, lang3))
        if tender.documents_url is None:
            tender.documents_url = next((u for u in map(_clean, X_DOCUMENTS(lot_el)) if u and _web(u)), None)

    # Procedure-level views over the lots: what any lot reserves, the place, the first deadline.
    tender.reserved_participation = union(lot.reserved_participation for lot in tender.lots)
    executions = [lot.reserved_execution for lot in tender.lots if lot.reserved_execution is not None]
    tender.reserved_execution = any(executions) if executions else None
    tender.strategic_procurement = union(
        [tender.strategic_procurement, *(lot.strategic_procurement for lot in tender.lots)]
    )
    tender.social_objectives = union([tender.social_objectives, *(lot.social_objectives for lot in tender.lots)])
    tender.nuts = union([tender.nuts, *(lot.nuts for lot in tender.lots)])
    extra_cpv = union([tender.cpv_additional, *([lot.cpv_main, *lot.cpv_additional] for lot in tender.lots)])
    tender.cpv_additional = [c for c in extra_cpv if c and c != tender.cpv_main]
    deadlines = sorted(lot.deadline for lot in tender.lots if lot.deadline)
    tender.deadline = deadlines[0] if deadlines else None
    if tender.title is None and len(tender.lots) == 1:
        tender.title = tender.lots[0].title
    return tender


def _fill_project(target: Tender | Lot, project: etree._Element, lang3: str | None) -> None:
    target.title = _text_in(X_NAME(project), lang3)
    target.description = _text_in(X_DESC(project), lang3)
    target.cpv_main = cpv(_first(X_CPV_MAIN(project)))
    target.cpv_additional = union([[c for c in (cpv(v) for v in X_CPV_ADD(project)) if c]])
    target.nuts = union([[n.strip() for n in X_NUTS(project) if n.strip()]])
    value_el = _first(X_VALUE(project))
    if value_el is not None:
        target.estimated_value = amount(value_el.text)
        target.currency = value_el.get("currencyID")


def _lot(lot_el: etree._Element, lang3: str | None) -> Lot:
    lot = Lot(id=_clean(_first(X_ID(lot_el))) or "LOT")
    project = _first(X_PROJECT(lot_el))
    if project is not None:
        _fill_project(lot, project, lang3)
        lot.strategic_procurement, lot.social_objectives = _strategic(project)
    lot.reserved_participation = union([[c.strip() for c in X_RESERVED(lot_el) if c.strip() not in _NO_CODES]])
    executions = [c.strip() for c in X_RES_EXEC(lot_el)]
    if "yes" in executions or "true" in executions:
        lot.reserved_execution = True
    elif "no" in executions or "false" in executions:
        lot.reserved_execution = False  # "not-known" stays None: the notice does not say
    period = _first(X_DEADLINE(lot_el))
    if period is None:
        period = _first(X_PARTICIPATION(lot_el))
    if period is not None:
        lot.deadline = _datetime(_first(X_END_DATE(period)), _first(X_END_TIME(period)))
    return lot


def _strategic(project: etree._Element) -> tuple[list[str], list[str]]:
    strategic: list[str] = []
    social: list[str] = []
    for code in X_ADDITIONAL(project):
        value = (code.text or "").strip()
        if value in _NO_CODES:
            continue
        kind = code.get("listName")
        if kind == "strategic-procurement":
            strategic.append(value)
        elif kind == "social-objective":
            social.append(value)
    return union([strategic]), union([social])


def _fill_buyer(tender: Tender, root: etree._Element, lang3: str | None) -> None:
    """The buyer is the organisation the ContractingParty points at (OPT-300 -> OPT-200)."""
    wanted = {i.strip() for i in X_BUYER_IDS(root)}
    for company in X_ORGS(root):
        if _clean(_first(X_ORG_ID(company))) in wanted:
            tender.buyer_name = _text_in(X_ORG_NAME(company), lang3)
            tender.buyer_org_id = _clean(_first(X_ORG_COMPANY_ID(company)))
            tender.buyer_country = country_alpha2(_first(X_ORG_COUNTRY(company)))
            tender.buyer_nuts = _clean(_first(X_ORG_NUTS(company)))
            return


def _winners(root: etree._Element, lang3: str | None) -> list[dict[str, Any]]:
    """The organisations behind the winning tenders (BT-3202 -> OPT-310 -> OPT-300), each once.

    The winning tenders are those a settled contract names (BT-3202): a lot result lists every
    tender it considered, the unsuccessful ones too. Only a notice with no contract tender at
    all falls back to the tenders of lots whose result is "winner chosen"."""
    winning = {i.strip() for i in X_CONTRACT_TENDERS(root)} or {i.strip() for i in X_WINNING_TENDERS(root)}
    parties = {p.strip() for t in X_LOT_TENDERS(root) if _clean(_first(X_ID(t))) in winning for p in X_PARTY_ID(t)}
    orgs = [o.strip() for party in X_TENDERING_PARTIES(root) if _clean(_first(X_ID(party))) in parties
            for o in X_TENDERERS(party)]  # fmt: skip
    companies = {_clean(_first(X_ORG_ID(c))): c for c in X_ORGS(root)}
    out: list[dict[str, Any]] = []
    for org in dict.fromkeys(orgs):
        company = companies.get(org)
        if company is not None:
            winner = {"org_id": _clean(_first(X_ORG_COMPANY_ID(company))), "name": _text_in(X_ORG_NAME(company), lang3)}
            if winner not in out:  # one organisation entered twice, say once per lot it won
                out.append(winner)
    return out


def _text_in(elements: list[etree._Element], lang3: str | None) -> str | None:
    """The text in the notice's own language, else the first one given."""
    chosen = None
    for element in elements:
        if chosen is None or (lang3 and element.get("languageID") == lang3 and chosen.get("languageID") != lang3):
            chosen = element
    if chosen is None:
        return None
    return _clean("".join(chosen.itertext()))


def _date(value: str | None) -> str | None:
    """``2019-02-26+01:00`` -> ``2019-02-26``."""
    return value.strip()[:10] if value and len(value.strip()) >= 10 else None


def _datetime(date: str | None, time: str | None) -> str | None:
    """eForms splits date and time, each with an offset; join them into one ISO 8601 value."""
    day = _date(date)
    if day is None:
        return None
    if not time:
        return day
    time = time.strip()
    offset = ""
    for marker in ("+", "-", "Z"):
        pos = time.find(marker, 1)
        if pos > 0:
            time, offset = time[:pos], time[pos:]
            break
    else:
        date_offset = date.strip()[10:] if date else ""
        offset = date_offset
    if len(time) == 5:
        time += ":00"
    return f"{day}T{time}{offset}"


def _first(values: Any) -> Any:
    return values[0] if values else None


def _web(url: str) -> bool:
    return url.lower().startswith(("https://", "http://"))


def _clean(value: object | None) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None
