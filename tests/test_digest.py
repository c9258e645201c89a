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
