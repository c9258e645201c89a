"""Digests read well in both languages, are escaped, and show every reason with its evidence."""

from __future__ import annotations

from datetime import date

from matching.classify import classify
from matching.subscriptions import Subscriber
from notifications.digest import DigestLinks, render_digest
from tenders.model import Tender
from tenders.results import Listing
from tenders.store import Assessed

from .conftest import parse_one


def assessed(t: Tender) -> Assessed:
    a = classify(t)
    return Assessed(tender=t, score=a.score, label=a.label, reasons=a.reasons, content_hash=t.content_hash())


def sub(language: str) -> Subscriber:
    return Subscriber(key="k", organisation="Kooperativet <Test>", email="k@example.org", language=language)


def reserved() -> Tender:
    return parse_one("ted-real/legacy/19-090974-001-EXP.xml")


def test_swedish_digest_lists_the_reserved_tender_with_its_reason() -> None:
    d = render_digest(sub("sv"), [assessed(reserved())])
    assert d.subject == "1 ny upphandling för Kooperativet <Test>"
    assert "Reserverat deltagande (BT-71): Deltagande förbehålls skyddade verkstäder" in d.text
    assert "Sista anbudsdag: 22 mars 2019 kl. 15.00" in d.text
    assert "https://ted.europa.eu/en/notice/-/detail/091489-2019" in d.html
    assert "Kooperativet &lt;Test&gt;" in d.html and "Kooperativet <Test>" not in d.html


def test_english_digest_orders_best_first() -> None:
    weak = Tender(source="x", notice_id="2", title="Lokalvård", nuts=["SE312"])
    d = render_digest(sub("en"), [assessed(weak), assessed(reserved())])
    assert d.tender_ids == ("ted:091489-2019", "x:2")
    assert d.text.index("Marché de service") < d.text.index("Lokalvård")
    assert "Place: Dalarnas län\n" in d.text
    assert "Reserved participation (BT-71)" in d.text


def test_a_hostile_title_is_escaped_in_html() -> None:
    evil = Tender(source="x", notice_id="1", title='<script>alert("x")</script>', url="https://example.org/a?b=1&c=2")
    d = render_digest(sub("en"), [assessed(evil)])
    assert "<script>" not in d.html
    assert "&lt;script&gt;" in d.html
    assert "https://example.org/a?b=1&amp;c=2" in d.html
    assert '<script>alert("x")</script>' in d.text  # plain text needs no escaping


def test_sections_deadline_soon_new_and_updated() -> None:
    soon = Tender(source="x", notice_id="soon", title="Snöröjning i Mora", deadline="2026-12-01T12:00:00+01:00")
    fresh = Tender(source="x", notice_id="new", title="Lokalvård i Falun", deadline="2027-02-01")
    changed = Tender(source="x", notice_id="chg", title="Tvätt för äldreboenden", deadline="2027-03-01")
    d = render_digest(sub("sv"), [assessed(fresh), assessed(changed), assessed(soon)],
                      updated=frozenset({"x:chg"}), today=date(2026, 11, 26))  # fmt: skip
    text = d.text
    assert text.index("## Sista anbudsdag inom 7 dagar") < text.index("Snöröjning i Mora")
    assert text.index("Snöröjning i Mora") < text.index("## Nya upphandlingar") < text.index("Lokalvård i Falun")
    assert text.index("## Ändrade sedan förra brevet") < text.index("Tvätt för äldreboenden")
    assert d.subject == "3 nya upphandlingar för Kooperativet <Test>"
    assert "Sista anbudsdag inom 7 dagar</h2>" in d.html
    plain = render_digest(sub("sv"), [assessed(fresh)], today=date(2026, 11, 26))
    assert "##" not in plain.text  # a lone "new" section needs no heading


# -- what a person reads (issue 24, item 5) --------------------------------------------------------
# The tenders below are invented (their titles say so); Hofors kommun and its organisation number
# 212000-2296 are real, from tenders/data/municipalities.csv.

LINKS = DigestLinks("https://radar.example.org", "feedback-token", "profile-token")
HOFORS = "2120002296"


def scored(t: Tender, score: float, also: tuple[Listing, ...] = ()) -> Assessed:
    return Assessed(tender=t, score=score, label="suitable", reasons=[], content_hash=t.content_hash(), also=also)


def test_planned_procurements_have_their_own_section_with_the_date_and_the_interest_link() -> None:
    plan = Tender(source="buyer:2120002296", notice_id="plan-1", notice_type="planning", status="planned",
                  title="Städning av kommunens lokaler (påhittat exempel)", expected_publication="2027-03-01",
                  buyer_org_id=HOFORS, buyer_country="SE")  # fmt: skip
    open_now = Tender(source="x", notice_id="open", title="Tvätt av arbetskläder (påhittat exempel)",
                      deadline="2027-02-01")  # fmt: skip
    d = render_digest(sub("sv"), [scored(plan, 0.9), scored(open_now, 0.8)], links=LINKS, today=date(2026, 12, 5))
    text = d.text
    assert d.subject == "1 ny upphandling och 1 planerad för Kooperativet <Test>"
    assert text.index("## Nya upphandlingar") < text.index("Tvätt av arbetskläder")
    planned = text[text.index("## Planerade upphandlingar") :]
    assert "Städning av kommunens lokaler" in planned and "Tvätt av arbetskläder" not in planned
    assert "Upphandlingen är planerad, ännu inte annonserad." in planned
    assert "Väntas annonseras: 1 mars 2027" in planned
    assert "Sista anbudsdag" not in planned  # a plan has no deadline yet: no "anges inte"
    assert (
        "Köparen vill gärna höra av leverantörer som är intresserade redan nu. Vi är intresserade: "
        "https://radar.example.org/interest?token=feedback-token&tender=buyer:2120002296:plan-1&lang=sv"
    ) in planned
    html = render_digest(sub("en"), [scored(plan, 0.9)], links=LINKS, today=date(2026, 12, 5)).html
    assert "Planned procurements</h2>" in html and "Expected to be advertised" in html
    assert "The buyer would like to hear from interested suppliers now." in html


def test_a_digest_shows_at_most_25_tenders_best_first_and_links_the_rest() -> None:
    items = [scored(Tender(source="x", notice_id=f"n{i}", title=f"Uppdrag nummer {i:02d} (påhittat)"), 1 - i / 100)
             for i in range(30)]  # fmt: skip
    d = render_digest(sub("sv"), list(reversed(items)), links=LINKS)
    assert d.subject == "30 nya upphandlingar för Kooperativet <Test>"
    assert "Uppdrag nummer 24" in d.text and "Uppdrag nummer 25" not in d.text  # the 25 best, the rest counted
    assert d.text.index("Uppdrag nummer 00") < d.text.index("Uppdrag nummer 24")
    assert "och 5 till: https://radar.example.org/my-tenders?token=profile-token&lang=sv" in d.text
    assert '<a href="https://radar.example.org/my-tenders?token=profile-token&amp;lang=sv"' in d.html
    assert ">och 5 till</a>" in d.html
    small = render_digest(sub("en"), items, links=LINKS, max_items=3)
    assert "Uppdrag nummer 02" in small.text and "Uppdrag nummer 03" not in small.text
    assert "and 27 more: https://radar.example.org/my-tenders" in small.text


def test_a_digest_from_a_huge_feed_stays_small() -> None:
    """The issue's 50 MB feed made one 190 MB digest; here 2,000 items with 50 kB descriptions."""
    long = "Lokalvård i förskolor och skolor. " * 1_500
    items = [scored(Tender(source="x", notice_id=f"n{i}", title=f"Lokalvård {i} (påhittat)", description=long), 0.9)
             for i in range(2_000)]  # fmt: skip
    d = render_digest(sub("sv"), items, links=LINKS)
    size = len(d.html.encode()) + len(d.text.encode())
    assert size < 200_000, size
    assert "och 1975 till" in d.text
    assert "Lokalvård i förskolor och skolor. Lokalvård" in d.text and long[:2_000] not in d.text  # the start, cut


def test_places_buyers_dates_and_amounts_by_name_not_code() -> None:
    t = Tender(source="x", notice_id="1", title="Snöröjning (påhittat exempel)", estimated_value=1_500_000,
               currency="SEK", deadline="2027-02-01T12:00:00+01:00", buyer_org_id=HOFORS,
               buyer_country="SE")  # fmt: skip
    sv = render_digest(sub("sv"), [scored(t, 0.9)], today=date(2026, 12, 5)).text
    assert "Köpare: Hofors kommun, org.nr 212000-2296" in sv
    assert "Plats: Hofors kommun, Gävleborgs län" in sv
    assert "Sista anbudsdag: 1 februari 2027 kl. 12.00" in sv
    assert "Uppskattat värde: 1\u00a0500\u00a0000 kr" in sv
    en = render_digest(sub("en"), [scored(t, 0.9)], today=date(2026, 12, 5)).text
    assert "Buyer: Hofors kommun, org. no. 212000-2296" in en
    assert "Deadline: 1 February 2027 at 12:00" in en and "Estimated value: 1,500,000 SEK" in en
    for text in (sv, en):
        assert "SE313" not in text and "2120002296" not in text and "T12:00" not in text
    large = {"code": "large_scale", "weight": -0.3, "field": "estimated_value", "value": "10000000 EUR"}
    big = Assessed(tender=t, score=0.2, label="unlikely", reasons=[large], content_hash="big")
    assert "Stort kontrakt: 10\u00a0000\u00a0000 EUR" in render_digest(sub("sv"), [big]).text
    assert "Large contract: 10,000,000 EUR" in render_digest(sub("en"), [big]).text


def test_one_procedure_appears_once_with_its_other_listings_beside_it() -> None:
    own = Tender(source="buyer:2120002296", notice_id="n1", title="Kafédrift i biblioteket (påhittat exempel)",
                 url="https://radar.example.org/tenders/buyer:2120002296:n1", buyer_org_id=HOFORS,
                 buyer_country="SE")  # fmt: skip
    ted = Tender(source="ted", notice_id="1-2027", title="Kafédrift i biblioteket (påhittat exempel)",
                 url="https://ted.europa.eu/en/notice/-/detail/1-2027", buyer_org_id=HOFORS,
                 buyer_country="SE")  # fmt: skip
    listing = Listing(tender_id=own.id, source=own.source, notice_type="competition", url=own.url)
    d = render_digest(sub("sv"), [scored(own, 0.9), scored(ted, 0.9, also=(listing,))])
    assert d.text.count("== Kafédrift i biblioteket") == 1 and d.tender_ids == (ted.id,)
    assert "1 ny upphandling" in d.subject
    assert (
        "Även på köparens egen annons (Hofors kommun): https://radar.example.org/tenders/buyer:2120002296:n1" in d.text
    )
    assert ">köparens egen annons (Hofors kommun)</a>" in d.html


def test_a_tender_whose_deadline_has_passed_is_marked() -> None:
    d = render_digest(sub("sv"), [assessed(reserved())], today=date(2026, 12, 5))
    assert "Sista anbudsdag har passerat" in d.text and "Sista anbudsdag har passerat" in d.html
    assert "Sista anbudsdag: 22 mars 2019 kl. 15.00 (passerad)" in d.text
    assert "Deadline passed" in render_digest(sub("en"), [assessed(reserved())], today=date(2026, 12, 5)).text
    fresh = render_digest(sub("sv"), [assessed(reserved())], today=date(2019, 3, 1))
    assert "passerat" not in fresh.text


def test_an_invented_example_says_so_in_the_digest() -> None:
    t = Tender(source="x", notice_id="1", title="Lokalvård", url="https://example.org/upphandlingar/1")
    assert "Påhittat exempel, inte en verklig upphandling." in render_digest(sub("sv"), [scored(t, 0.9)]).text
    # an invented page address on a real municipality's domain: what matters is that it is not example.org
    real = Tender(source="x", notice_id="2", title="Lokalvård", url="https://www.hofors.se/upphandlingar/1")
    assert "exempel" not in render_digest(sub("sv"), [scored(real, 0.9)]).text.lower()
