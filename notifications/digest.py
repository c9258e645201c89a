"""Compose and render a subscriber's digest: the tenders best first, each with its reasons.

HTML (autoescaped, inline CSS) and plain text, in Swedish or English. The reasons are
stored as codes with their evidence and put into words here, in the reader's language;
places, buyers, dates and amounts too (``notifications/readable.py``): no bare codes.

What one digest holds: at most ``max_items`` tenders (the best; the rest are counted and
linked), each procedure once with its other listings beside it, planned procurements in a
section of their own, and a tender whose deadline has passed marked as such (only the demo
lets one through: ``TENDER_RADAR_INCLUDE_EXPIRED``; ``still_open`` is the sending rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from matching.rules import rules
from matching.scale import name as sign_name
from matching.subscriptions import Subscriber
from notifications import readable
from tenders import clock
from tenders.codelists import label
from tenders.hygiene import clean
from tenders.results import Assessed

TEMPLATES = Path(__file__).resolve().parent / "templates"
SOON_DAYS = 7
MAX_ITEMS = 25  # tenders in one digest; the setting TENDER_RADAR_DIGEST_MAX
SHOWN_DESCRIPTION = 300  # characters of a description shown: one huge notice cannot blow up a digest
SHOWN_TITLE = 300
SHOWN_QUOTE = 300

STRINGS: dict[str, dict[str, str]] = {
    "sv": {
        "subject": "{n} nya upphandlingar för {org}",
        "subject_one": "1 ny upphandling för {org}",
        "intro": "Nya upphandlingar som kan passa {org}, de mest lämpade först.",
        "buyer": "Köpare",
        "place": "Plats",
        "deadline": "Sista anbudsdag",
        "value": "Uppskattat värde",
        "why": "Därför",
        "link": "Läs annonsen",
        "documents": "Upphandlingsdokument",
        "details": "Detaljer och skäl",
        "relevant_q": "Relevant för er?",
        "yes": "Ja",
        "no": "Nej",
        "profile": "Ändra er profil",
        "also": "Även på",
        "unknown": "anges inte",
        "suitable": "Lämplig",
        "possible": "Möjlig",
        "unlikely": "Osannolik",
        "footer": "Du får det här brevet eftersom {org} bevakar upphandlingar i Social Tender Radar.",
        "unsubscribe": "Avsluta prenumerationen",
        "soon": "Sista anbudsdag inom 7 dagar",
        "new": "Nya upphandlingar",
        "updated": "Ändrade sedan förra brevet",
        "interested": "Vi är intresserade",
        "watch": "Bevaka",
        "withdrawn": "Återkallade av köparen",
        "lot": "delkontrakt",
        "planned": "Planerade upphandlingar",
        "subject_planned": "{new} och {planned} för {org}",
        "planned_one": "1 planerad",
        "planned_n": "{p} planerade",
        "new_one": "1 ny upphandling",
        "new_n": "{n} nya upphandlingar",
        "subject_only_planned": "{p} planerade upphandlingar för {org}",
        "subject_only_planned_one": "1 planerad upphandling för {org}",
        "expected": "Väntas annonseras",
        "planned_note": "Upphandlingen är planerad, ännu inte annonserad.",
        "wants_to_hear": "Köparen vill gärna höra av leverantörer som är intresserade redan nu.",
        "uncertain": "Osäker bransch: orden säger inte tydligt vad som köps; du har bett om sådana upphandlingar.",
        "expired": "Sista anbudsdag har passerat",
        "expired_note": "Sista anbudsdag har passerat: det går inte längre att lämna anbud.",
        "passed": "passerad",
        "more": "och {n} till",
        "more_one": "och 1 till",
        "more_where": "Se alla",
        "example": "Påhittat exempel, inte en verklig upphandling.",
    },
    "en": {
        "subject": "{n} new tenders for {org}",
        "subject_one": "1 new tender for {org}",
        "intro": "New tenders that may suit {org}, the most suitable first.",
        "buyer": "Buyer",
        "place": "Place",
        "deadline": "Deadline",
        "value": "Estimated value",
        "why": "Why",
        "link": "Read the notice",
        "documents": "Procurement documents",
        "details": "Details and reasons",
        "relevant_q": "Relevant to you?",
        "yes": "Yes",
        "no": "No",
        "profile": "Edit your profile",
        "also": "Also on",
        "unknown": "not given",
        "suitable": "Suitable",
        "possible": "Possible",
        "unlikely": "Unlikely",
        "footer": "You receive this because {org} watches public tenders with Social Tender Radar.",
        "unsubscribe": "Unsubscribe",
        "soon": "Deadline within 7 days",
        "new": "New tenders",
        "updated": "Changed since we last wrote",
        "interested": "We are interested",
        "watch": "Watch",
        "withdrawn": "Withdrawn by the buyer",
        "lot": "lot",
        "planned": "Planned procurements",
        "subject_planned": "{new} and {planned} for {org}",
        "planned_one": "1 planned",
        "planned_n": "{p} planned",
        "new_one": "1 new tender",
        "new_n": "{n} new tenders",
        "subject_only_planned": "{p} planned procurements for {org}",
        "subject_only_planned_one": "1 planned procurement for {org}",
        "expected": "Expected to be advertised",
        "planned_note": "This procurement is planned, not yet advertised.",
        "wants_to_hear": "The buyer would like to hear from interested suppliers now.",
        "uncertain": "Sector uncertain: the words do not clearly say what is bought; you asked for such tenders.",
        "expired": "Deadline passed",
        "expired_note": "Deadline passed: bids can no longer be made.",
        "passed": "passed",
        "more": "and {n} more",
        "more_one": "and 1 more",
        "more_where": "See them all",
        "example": "An invented example, not a real procurement.",
    },
}

REASONS: dict[str, dict[str, str]] = {
    "sv": {
        "reserved_participation": "Reserverat deltagande (BT-71): {label}",
        "reserved_execution": "Kontraktet ska utföras inom ramen för program för skyddad anställning (BT-736)",
        "social_objective_employment": "Socialt mål (BT-775): {label}",
        "vcse": "Köparen anger att upphandlingen passar ideella och sociala företag (OCDS suitability.vcse)",
        "social_objective": "Socialt mål (BT-775): {label}",
        "strategic_social": "Strategisk upphandling (BT-06): {label}",
        "text_reserved": "Annonsen anger reservation: ”{quote}”",
        "text_employment": "Annonsen ställer sysselsättningskrav: ”{quote}”",
        "text_social_criteria": "Annonsen ställer sociala krav: ”{quote}”",
        "text_reserved_negated": "Annonsen säger att den inte är reserverad: ”{quote}”",
        "text_employment_negated": "Annonsen säger att inga sysselsättningskrav ställs: ”{quote}”",
        "text_social_criteria_negated": "Annonsen avstår från sociala krav: ”{quote}”",
        "typical_sector": "Typiskt arbete för sociala företag: {sector}{evidence}",
        "unlikely_sector": "Sällan för sociala företag: {sector}{evidence}",
        "light_regime": "Social tjänst enligt det förenklade systemet (CPV {value}); tillstånd kan krävas",
        "small_scale": "Litet kontrakt: {value}",
        "large_scale": "Stort kontrakt: {value}",
        "divided_in_lots": "Uppdelat i {value} delkontrakt",
        "text_model": "Textmodellen bedömer texten som {model_label} ({probability} %), främst: ”{quote}”",
        "text_model_by_rules": "Texten bedöms som {model_label} efter vad den säger om arbete och storlek: ”{quote}”",
        "text_small": "Texten visar ett litet uppdrag ({what}): ”{quote}”",
        "text_large": "Texten visar ett stort uppdrag ({what}): ”{quote}”",
        "text_goods": "Texten gäller köp av varor: ”{quote}”",
    },
    "en": {
        "reserved_participation": "Reserved participation (BT-71): {label}",
        "reserved_execution": "The contract is to be performed in sheltered employment programmes (BT-736)",
        "social_objective_employment": "Social objective (BT-775): {label}",
        "vcse": "The buyer marks it suitable for voluntary, community and social enterprises (OCDS suitability.vcse)",
        "social_objective": "Social objective (BT-775): {label}",
        "strategic_social": "Strategic procurement (BT-06): {label}",
        "text_reserved": "The notice says it is reserved: “{quote}”",
        "text_employment": "The notice sets employment requirements: “{quote}”",
        "text_social_criteria": "The notice sets social requirements: “{quote}”",
        "text_reserved_negated": "The notice says it is not reserved: “{quote}”",
        "text_employment_negated": "The notice says there are no employment requirements: “{quote}”",
        "text_social_criteria_negated": "The notice sets no social requirements: “{quote}”",
        "typical_sector": "Typical social-enterprise work: {sector}{evidence}",
        "unlikely_sector": "Seldom social-enterprise work: {sector}{evidence}",
        "light_regime": "Social service under the light regime (CPV {value}); permits may be needed",
        "small_scale": "Small contract: {value}",
        "large_scale": "Large contract: {value}",
        "divided_in_lots": "Divided into {value} lots",
        "text_model": "The text model reads it as {model_label} ({probability} %), mostly: “{quote}”",
        "text_model_by_rules": "The text reads as {model_label} by what it says of the work and its size: “{quote}”",
        "text_small": "The text shows a small job ({what}): “{quote}”",
        "text_large": "The text shows a large job ({what}): “{quote}”",
        "text_goods": "The text is a supply of goods: “{quote}”",
    },
}
SIGNS = ("text_small", "text_large", "text_goods")  # weight 0, but they say why the model's verdict is what it is
CODELIST_FOR = {
    "reserved_participation": "reserved-procurement",
    "social_objective_employment": "social-objective",
    "social_objective": "social-objective",
    "strategic_social": "strategic-procurement",
}


@dataclass(frozen=True, slots=True)
class DigestLinks:
    """Where the web app answers, and this subscriber's signed feedback and profile tokens."""

    base_url: str
    feedback_token: str
    profile_token: str


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    subject: str
    html: str
    text: str
    tender_ids: tuple[str, ...]


def reason_text(reason: dict[str, Any], language: str) -> str:
    """One reason in words, naming its evidence (and its lot, when it came from one)."""
    code = "text_model_by_rules" if reason["code"] == "text_model" and reason.get("by_rules") else reason["code"]
    template = REASONS[language].get(code, code)
    value = reason.get("value")
    sector = reason.get("sector")
    sector_name = rules().typical.get(sector or "", rules().unlikely.get(sector or "", {})).get(language, sector or "")
    evidence = f" (CPV {value})" if value and reason.get("field", "").startswith("cpv") else ""
    quote = readable.excerpt(str(reason.get("quote") or ""), SHOWN_QUOTE) or ""
    if quote:
        evidence = f" – ”{quote}”" if language == "sv" else f" – “{quote}”"
    if reason["code"] in ("small_scale", "large_scale"):  # "1500000 SEK" as stored: grouped for the reader
        amount, _, currency = str(value or "").partition(" ")
        if amount.isdigit():
            value = readable.money(float(amount), currency or None, language)
    model_label = str(reason.get("label") or "")
    text: str = template.format(
        model_label=STRINGS[language].get(model_label, model_label).lower(),
        probability=round(100 * float((reason.get("probabilities") or {}).get(model_label, 0.0))),
        label=label(CODELIST_FOR[reason["code"]], str(value), language) if reason["code"] in CODELIST_FOR else "",
        quote=quote,
        value=value,
        sector=sector_name,
        evidence=evidence,
        what=sign_name(str(value), language) if reason["code"] in SIGNS else "",
    )
    field = str(reason.get("field") or "")
    if field.startswith("lots["):
        text += f" ({STRINGS[language]['lot']} {field[5 : field.index(']')]})"
    return text


def place_names(tender: Any, language: str) -> str:
    """Place names, never bare NUTS codes: Swedish regions by the eForms code list's label
    ("Dalarnas län"); elsewhere the country ("Frankrike": no all-EU NUTS list is bundled yet);
    without places, the buyer's municipality and county."""
    return readable.place_text(tender, language)


def money(value: float | None, currency: str | None, language: str) -> str | None:
    return readable.money(value, currency, language)


def is_planned(tender: Any) -> bool:
    """A procurement the buyer plans (a prior information notice, a row of a buyer's plan)."""
    return bool(tender.notice_type == "planning" or tender.status == "planned")


def has_passed(tender: Any, today: date) -> bool:
    """Its deadline was before ``today`` (a deadline today still counts as open, as in the store)."""
    return bool(tender.deadline) and str(tender.deadline)[:10] < today.isoformat()


def still_open(items: list[Assessed], today: date) -> list[Assessed]:
    """The sending rule: a tender whose deadline has passed never reaches a real subscriber."""
    return [item for item in items if not has_passed(item.tender, today)]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def one_line(text: str) -> str:
    """No line breaks or control characters: a name in a subject must not start a new header."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


class _Blocks:
    """Each tender's block, rendered once per language and reused in every digest it is in.

    On a busy day one tender sits in hundreds of digests; rendering it once makes the
    cost of a digest mostly the joining of its blocks.
    """

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self.cache: dict[tuple[str, str, float, str, str, str], tuple[Markup, str]] = {}

    def get(self, item: Assessed, language: str, today: date, timezone: str) -> tuple[Markup, str]:
        """The block holds tender data only: the subscriber's own links are added by the digest's
        template, never substituted into text that a stranger wrote."""
        key = (item.tender.id, item.content_hash, item.score, language, today.isoformat(), timezone)
        found = self.cache.get(key)
        if found is None:
            if len(self.cache) >= self.limit:
                self.cache.clear()
            row = _row(item, language, today, timezone)
            env = _environment()
            context = {"s": STRINGS[language], "row": row}
            # The block comes out of an autoescaping template: it is safe HTML already.
            html = Markup(env.get_template("tender.html").render(context))  # ruff: ignore[unsafe-markup-use]
            found = self.cache[key] = (html, env.get_template("tender.txt").render(context))
        return found


_BLOCKS = _Blocks()


def clear_block_cache() -> None:
    _BLOCKS.cache.clear()


@dataclass(frozen=True, slots=True)
class _Shown:
    """One tender in one digest: its shared block, and this subscriber's links beside it."""

    html: Markup
    text: str
    page: str = ""
    feedback: str = ""
    interest: str = ""  # a buyer's own notice: the enterprise can tell the buyer it is interested
    planned: bool = False  # a planned procurement: the interest link says the buyer wants to hear
    uncertain: bool = False  # its sector is uncertain for this profile, which asked for such tenders
    watch: str = ""  # reminders before the deadline and a word when it changes (``/watch``), any source


def _block(item: Assessed, language: str, links: DigestLinks | None, today: date, timezone: str,
           uncertain: bool = False) -> _Shown:  # fmt: skip
    """A tender's cached block and, apart from it, this subscriber's links for the template to fill in."""
    html, text = _BLOCKS.get(item, language, today, timezone)
    if links is None:
        return _Shown(html, text, planned=is_planned(item.tender), uncertain=uncertain)
    tender = item.tender
    tender_id, token = quote(tender.id, safe=":"), quote(links.feedback_token)
    own = tender.source.startswith("buyer:")  # the tender page offers "interested" for a buyer's own notice
    return _Shown(
        html,
        text,
        f"{links.base_url}/tenders/{tender_id}?lang={language}" + (f"&token={token}" if own else ""),
        f"{links.base_url}/feedback?token={token}&tender={tender_id}&lang={language}",
        f"{links.base_url}/interest?token={token}&tender={tender_id}&lang={language}"
        if own and tender.status != "withdrawn"
        else "",
        is_planned(tender),
        uncertain,
        f"{links.base_url}/watch?token={token}&tender={tender_id}&lang={language}",
    )


def _uncertain(subscriber: Subscriber, item: Assessed) -> bool:
    """Sent only because the profile asks for tenders whose sector is uncertain (``sector_uncertain``)."""
    return subscriber.sector_uncertain and subscriber.sector_fit(item.tender, item.sectors) == "uncertain"


def _row(item: Assessed, language: str, today: date, timezone: str) -> dict[str, Any]:
    strings = STRINGS[language]
    tender = clean(item.tender)  # stored before the hygiene existed, or put in by hand
    title = readable.excerpt(tender.title, SHOWN_TITLE) or tender.id
    return {
        "tender": tender,
        "title": title,
        "buyer": readable.buyer_text(tender, language) or strings["unknown"],
        "description": readable.excerpt(tender.description, SHOWN_DESCRIPTION),
        "planned": is_planned(tender),
        "expected": readable.when_text(tender.expected_publication, language, timezone) or strings["unknown"],
        "expired": has_passed(tender, today),
        "example": readable.invented(tender.url),
        "score": item.score,
        "label": strings.get(item.label, item.label),
        "label_code": item.label,
        "reasons": [
            reason_text(r, language)
            for r in item.reasons
            if r["weight"] != 0 or "negated" in r["code"] or r["code"] in SIGNS
        ],
        "place": place_names(tender, language) or strings["unknown"],
        "value": money(tender.estimated_value, tender.currency, language) or strings["unknown"],
        "deadline": readable.when_text(tender.deadline, language, timezone) or strings["unknown"],
        "also": [
            {"name": readable.listing_name(listing.source, listing.url, language), "url": listing.url}
            for listing in item.also
            if listing.url and listing.url != tender.url and listing.tender_id != tender.id
        ],
    }


def one_per_procedure(items: list[Assessed]) -> list[Assessed]:
    """Each procedure once: a notice that another item lists beside it (``also``) is left out."""
    ids = {item.tender.id for item in items}
    covered_by = {
        listing.tender_id: item.tender.id
        for item in items
        for listing in item.also
        if listing.tender_id != item.tender.id and listing.tender_id in ids
    }
    return [i for i in items if i.tender.id not in covered_by or covered_by.get(covered_by[i.tender.id]) == i.tender.id]


def render_digest(
    subscriber: Subscriber,
    items: list[Assessed],
    unsubscribe_url: str | None = None,
    *,
    updated: frozenset[str] = frozenset(),
    today: date | None = None,
    links: DigestLinks | None = None,
    max_items: int = MAX_ITEMS,
) -> RenderedDigest:
    """Sections, each best first: deadline within 7 days, new, updated (sent before, changed since),
    planned, withdrawn. At most ``max_items`` tenders are shown (withdrawals first, then the best);
    the rest are counted at the end, with a link to them all."""
    language = subscriber.language
    strings = STRINGS[language]
    today = today or clock.today()
    timezone = subscriber.timezone
    soon_until = (today + timedelta(days=SOON_DAYS)).isoformat()
    ordered = sorted(one_per_procedure(items), key=lambda i: (-i.score, i.tender.deadline or "9999", i.tender.id))
    ranked = sorted(ordered, key=lambda i: i.tender.status != "withdrawn")  # stable: withdrawals first, then the best
    shown = ranked[: max(max_items, 1)]
    hidden = len(ranked) - len(shown)
    withdrawn = [i for i in shown if i.tender.status == "withdrawn"]  # a buyer's notice, taken back
    planned = [i for i in shown if i.tender.status != "withdrawn" and is_planned(i.tender)]
    current = [i for i in shown if i.tender.status != "withdrawn" and not is_planned(i.tender)]
    soon = [i for i in current if today.isoformat() <= (i.tender.deadline or "9999")[:10] <= soon_until]
    rest = [i for i in current if i not in soon]
    sections = [
        (strings["soon"], soon),
        (strings["new"], [i for i in rest if i.tender.id not in updated]),
        (strings["updated"], [i for i in rest if i.tender.id in updated]),
        (strings["planned"], planned),
        (strings["withdrawn"], withdrawn),
    ]
    sections = [(title, group) for title, group in sections if group]
    rendered = [
        (title, [_block(item, language, links, today, timezone, _uncertain(subscriber, item)) for item in group])
        for title, group in sections
    ]
    org = one_line(subscriber.organisation)
    n_planned = sum(1 for i in ranked if i.tender.status != "withdrawn" and is_planned(i.tender))
    n_current = sum(1 for i in ranked if i.tender.status != "withdrawn") - n_planned
    n_withdrawn = len(ranked) - n_current - n_planned
    subject = _subject(strings, org, n_current + n_withdrawn, n_planned)
    if withdrawn and not (n_current or n_planned):  # nothing new: say what it is
        subject = f"{strings['withdrawn']}: {one_line(withdrawn[0].tender.title or withdrawn[0].tender.id)}"
    profile = f"{links.base_url}/profile?token={links.profile_token}&lang={language}" if links else None
    more = (strings["more_one"] if hidden == 1 else strings["more"].format(n=hidden)) if hidden else ""
    context = {"s": strings, "subject": subject, "org": org, "language": language, "unsubscribe": unsubscribe_url,
               "profile": profile, "more": more, "more_url": more_url(links, language) if hidden else None}  # fmt: skip
    env = _environment()
    titled = len(rendered) > 1 or bool(updated or soon or withdrawn or planned)  # a lone "new" section needs no heading
    headed = [(t if titled else "", b) for t, b in rendered]
    html = env.get_template("digest.html").render(context, sections=headed)
    text = env.get_template("digest.txt").render(context, sections=headed)
    return RenderedDigest(
        subject=subject,
        html=html,
        text=text,
        tender_ids=tuple(item.tender.id for _, group in sections for item in group),
    )


def more_url(links: DigestLinks | None, language: str) -> str | None:
    """Where the tenders left out of a digest are: the subscriber's page of the open tenders sent to it
    (``/my-tenders``, opened by the profile's signed link)."""
    return f"{links.base_url}/my-tenders?token={links.profile_token}&lang={language}" if links else None


def _subject(strings: dict[str, str], org: str, n: int, planned: int) -> str:
    if not planned:
        return strings["subject_one"].format(org=org) if n == 1 else strings["subject"].format(n=n, org=org)
    if not n:
        one = planned == 1
        return strings["subject_only_planned_one" if one else "subject_only_planned"].format(p=planned, org=org)
    new = strings["new_one"] if n == 1 else strings["new_n"].format(n=n)
    later = strings["planned_one"] if planned == 1 else strings["planned_n"].format(p=planned)
    return strings["subject_planned"].format(new=new, planned=later, org=org)
