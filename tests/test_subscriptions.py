"""Which subscriber gets which tender: region, sector, keywords, score; and config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.subscriptions import Subscriber, SubscriberError, load_subscribers
from tenders.model import Lot, Tender

from .conftest import PROJECT

DALARNA = Subscriber(key="d", organisation="D", email="d@example.org", regions=("SE312",), min_score=0.5)


def tender(**kw) -> Tender:
    return Tender(source="t", notice_id="1", **kw)


def test_region_by_place_of_performance_or_buyer() -> None:
    assert DALARNA.wants(tender(nuts=["SE312"]), 0.9)
    assert DALARNA.wants(tender(lots=[Lot(id="L1", nuts=["SE312"])]), 0.9)
    assert DALARNA.wants(tender(buyer_nuts="SE312"), 0.9)
    assert not DALARNA.wants(tender(nuts=["SE313"]), 0.9)
    assert DALARNA.wants(tender(nuts=["SE3"]), 0.9) is False  # a wider region does not say Dalarna


def test_a_tender_that_does_not_say_where_is_let_through_within_the_country() -> None:
    assert DALARNA.wants(tender(buyer_country="SE"), 0.9)
    assert not DALARNA.wants(tender(buyer_country="FR"), 0.9)
    assert DALARNA.wants(tender(), 0.9)


def test_score_cpv_and_keywords() -> None:
    s = Subscriber(key="s", organisation="S", email="s@example.org", cpv=("909",), keywords=("städ",), min_score=0.5)
    assert s.wants(tender(cpv_main="90910000", title="Städning av skolor"), 0.6)
    assert not s.wants(tender(cpv_main="90910000", title="Städning av skolor"), 0.4)
    assert not s.wants(tender(cpv_main="45000000", title="Städning av skolor"), 0.9)
    assert not s.wants(tender(cpv_main="90910000", title="Fönsterputs"), 0.9)
    assert s.wants(tender(title="Lokalvård och städ"), 0.9)  # no CPV given: the CPV filter lets it through


def test_the_bundled_subscribers_load() -> None:
    subs = load_subscribers(PROJECT / "subscribers.yaml")
    assert {s.language for s in subs} == {"sv", "en"}


@pytest.mark.parametrize(
    "entry,message",
    [
        ("- {email: not-an-address}", "'email' 'not-an-address' is not an email address"),
        ("- {email: a@example.org, language: de}", "'language' must be one of sv, en, not 'de'"),
        ("- {email: a@example.org, min_score: 7}", "'min_score' must be between 0 and 1"),
        ("- {email: a@example.org}\n- {email: a@example.org}", "duplicate subscriber key"),
    ],
)
def test_a_wrong_entry_is_named(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "subscribers.yaml"
    path.write_text("subscribers:\n" + entry + "\n")
    with pytest.raises(SubscriberError) as err:
        load_subscribers(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
