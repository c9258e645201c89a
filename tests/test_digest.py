"""Digests read well in both languages, are escaped, and show every reason with its evidence."""

from __future__ import annotations

from matching.classify import classify
from matching.subscriptions import Subscriber
from notifications.digest import render_digest
from tenders.model import Tender
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
    assert "Sista anbudsdag: 2019-03-22 15:00:00" in d.text
    assert "https://ted.europa.eu/en/notice/-/detail/091489-2019" in d.html
    assert "Kooperativet &lt;Test&gt;" in d.html and "Kooperativet <Test>" not in d.html


def test_english_digest_orders_best_first() -> None:
    weak = Tender(source="x", notice_id="2", title="Lokalvård", nuts=["SE312"])
    d = render_digest(sub("en"), [assessed(weak), assessed(reserved())])
    assert d.tender_ids == ("ted:091489-2019", "x:2")
    assert d.text.index("Marché de service") < d.text.index("Lokalvård")
    assert "Place: Dalarnas län (SE312)" in d.text
    assert "Reserved participation (BT-71)" in d.text


def test_a_hostile_title_is_escaped_in_html() -> None:
    evil = Tender(source="x", notice_id="1", title='<script>alert("x")</script>', url="https://example.org/a?b=1&c=2")
    d = render_digest(sub("en"), [assessed(evil)])
    assert "<script>" not in d.html
    assert "&lt;script&gt;" in d.html
    assert "https://example.org/a?b=1&amp;c=2" in d.html
    assert '<script>alert("x")</script>' in d.text  # plain text needs no escaping


def test_sections_deadline_soon_new_and_updated() -> None:
    from datetime import date

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
