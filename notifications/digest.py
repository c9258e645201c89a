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
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from matching.rules import rules
from matching.scale import name as sign_name
from matching.subscriptions import Subscriber
from notifications import readable
from notifications.wording import N_, environment, words
from tenders import clock
from tenders.codelists import label
from tenders.hygiene import clean
from tenders.results import Assessed

SOON_DAYS = 7
MAX_ITEMS = 25  # tenders in one digest; the setting TENDER_RADAR_DIGEST_MAX
SHOWN_DESCRIPTION = 300  # characters of a description shown: one huge notice cannot blow up a digest
SHOWN_TITLE = 300
SHOWN_QUOTE = 300

LABELS = {"suitable": N_("Suitable"), "possible": N_("Possible"), "unlikely": N_("Unlikely")}
# Each reason's words by its code (English message ids; ``reason_text`` fills in the evidence).
REASONS: dict[str, str] = {
    "reserved_participation": N_("Reserved participation (BT-71): %(label)s"),
    "reserved_execution": N_("The contract is to be performed in sheltered employment programmes (BT-736)"),
    "social_objective_employment": N_("Social objective (BT-775): %(label)s"),
    "vcse": N_("The buyer marks it suitable for voluntary, community and social enterprises (OCDS suitability.vcse)"),
    "social_objective": N_("Social objective (BT-775): %(label)s"),
    "strategic_social": N_("Strategic procurement (BT-06): %(label)s"),
    "text_reserved": N_("The notice says it is reserved: “%(quote)s”"),
    "text_employment": N_("The notice sets employment requirements: “%(quote)s”"),
    "text_social_criteria": N_("The notice sets social requirements: “%(quote)s”"),
    "text_reserved_negated": N_("The notice says it is not reserved: “%(quote)s”"),
    "text_employment_negated": N_("The notice says there are no employment requirements: “%(quote)s”"),
    "text_social_criteria_negated": N_("The notice sets no social requirements: “%(quote)s”"),
    "typical_sector": N_("Typical social-enterprise work: %(sector)s%(evidence)s"),
    "unlikely_sector": N_("Seldom social-enterprise work: %(sector)s%(evidence)s"),
    "light_regime": N_("Social service under the light regime (CPV %(value)s); permits may be needed"),
    "small_scale": N_("Small contract: %(value)s"),
    "large_scale": N_("Large contract: %(value)s"),
    "divided_in_lots": N_("Divided into %(value)s lots"),
    "text_model": N_("The text model reads it as %(model_label)s (%(probability)s %%), mostly: “%(quote)s”"),
    "text_model_by_rules": N_("The text reads as %(model_label)s by what it says of the work and its size: "
                              "“%(quote)s”"),
    "text_small": N_("The text shows a small job (%(what)s): “%(quote)s”"),
    "text_large": N_("The text shows a large job (%(what)s): “%(quote)s”"),
    "text_goods": N_("The text is a supply of goods: “%(quote)s”"),
}  # fmt: skip
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


def label_name(code: str, language: str) -> str:
    """A verdict's label in words ("Lämplig", "Suitable"); an unknown code as it is."""
    return words(language).gettext(LABELS[code]) if code in LABELS else code


def reason_text(reason: dict[str, Any], language: str) -> str:
    """One reason in words, naming its evidence (and its lot, when it came from one)."""
    t = words(language)
    code = "text_model_by_rules" if reason["code"] == "text_model" and reason.get("by_rules") else reason["code"]
    template = t.gettext(REASONS[code]) if code in REASONS else code.replace("%", "%%")
    value = reason.get("value")
    sector = reason.get("sector")
    sector_name = rules().typical.get(sector or "", rules().unlikely.get(sector or "", {})).get(language, sector or "")
    evidence = f" (CPV {value})" if value and reason.get("field", "").startswith("cpv") else ""
    quote = readable.excerpt(str(reason.get("quote") or ""), SHOWN_QUOTE) or ""
    if quote:
        evidence = " " + t.gettext("– “%(quote)s”") % {"quote": quote}
    if reason["code"] in ("small_scale", "large_scale"):  # "1500000 SEK" as stored: grouped for the reader
        amount, _, currency = str(value or "").partition(" ")
        if amount.isdigit():
            value = readable.money(float(amount), currency or None, language)
    model_label = str(reason.get("label") or "")
    text: str = template % dict(
        model_label=label_name(model_label, language).lower(),
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
        text += " (" + t.gettext("lot %(number)s") % {"number": field[5 : field.index("]")]} + ")"
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
            env = environment(language)
            context = {"row": row}
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
    unknown = words(language).gettext("not given")
    tender = clean(item.tender)  # stored before the hygiene existed, or put in by hand
    title = readable.excerpt(tender.title, SHOWN_TITLE) or tender.id
    return {
        "tender": tender,
        "title": title,
        "buyer": readable.buyer_text(tender, language) or unknown,
        "description": readable.excerpt(tender.description, SHOWN_DESCRIPTION),
        "planned": is_planned(tender),
        "expected": readable.when_text(tender.expected_publication, language, timezone) or unknown,
        "expired": has_passed(tender, today),
        "example": readable.invented(tender.url),
        "score": item.score,
        "label": label_name(item.label, language),
        "label_code": item.label,
        "reasons": [
            reason_text(r, language)
            for r in item.reasons
            if r["weight"] != 0 or "negated" in r["code"] or r["code"] in SIGNS
        ],
        "place": place_names(tender, language) or unknown,
        "value": money(tender.estimated_value, tender.currency, language) or unknown,
        "deadline": readable.when_text(tender.deadline, language, timezone) or unknown,
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
    t = words(language)
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
        (t.gettext("Deadline within 7 days"), soon),
        (t.gettext("New tenders"), [i for i in rest if i.tender.id not in updated]),
        (t.gettext("Changed since we last wrote"), [i for i in rest if i.tender.id in updated]),
        (t.gettext("Planned procurements"), planned),
        (t.gettext("Withdrawn by the buyer"), withdrawn),
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
    subject = _subject(language, org, n_current + n_withdrawn, n_planned)
    if withdrawn and not (n_current or n_planned):  # nothing new: say what it is
        title = one_line(withdrawn[0].tender.title or withdrawn[0].tender.id)
        subject = t.gettext("Withdrawn by the buyer: %(title)s") % {"title": title}
    profile = f"{links.base_url}/profile?token={links.profile_token}&lang={language}" if links else None
    more = t.ngettext("and %(n)d more", "and %(n)d more", hidden) % {"n": hidden} if hidden else ""
    context = {"subject": subject, "org": org, "language": language, "unsubscribe": unsubscribe_url,
               "profile": profile, "more": more, "more_url": more_url(links, language) if hidden else None}  # fmt: skip
    env = environment(language)
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


def _subject(language: str, org: str, n: int, planned: int) -> str:
    """ "3 nya upphandlingar för …", "1 ny upphandling och 2 planerade för …": each count with its plural."""
    t = words(language)
    if not planned:
        return t.ngettext("%(n)d new tender for %(org)s", "%(n)d new tenders for %(org)s", n) % {"n": n, "org": org}
    if not n:
        return t.ngettext("%(n)d planned procurement for %(org)s", "%(n)d planned procurements for %(org)s",
                          planned) % {"n": planned, "org": org}  # fmt: skip
    new = t.ngettext("%(n)d new tender", "%(n)d new tenders", n) % {"n": n}
    later = t.ngettext("%(n)d planned", "%(n)d planned", planned) % {"n": planned}
    return t.gettext("%(new)s and %(planned)s for %(org)s") % {"new": new, "planned": later, "org": org}
