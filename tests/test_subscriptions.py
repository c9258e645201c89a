"""Which subscriber gets which tender: region, sector, keywords, score; and config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.subscriptions import Subscriber, SubscriberError, load_subscribers, match_all
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


def test_a_tender_that_nothing_places_goes_only_to_the_whole_country_and_to_who_asks() -> None:
    assert not DALARNA.wants(tender(buyer_country="SE"), 0.9)  # was: every Swedish tender without a NUTS code
    assert not DALARNA.wants(tender(), 0.9)
    sweden = Subscriber(key="se", organisation="S", email="s@example.org", regions=("SE",))
    assert sweden.wants(tender(buyer_country="SE"), 0.9) and not sweden.wants(tender(buyer_country="FR"), 0.9)
    asks = Subscriber(key="a", organisation="A", email="a@example.org", regions=("SE312",), unplaced=True)
    assert asks.wants(tender(buyer_country="SE"), 0.9)


def test_score_cpv_and_keywords() -> None:
    s = Subscriber(key="s", organisation="S", email="s@example.org", cpv=("909",), keywords=("städ",), min_score=0.5)
    assert s.wants(tender(cpv_main="90910000", title="Städning av skolor"), 0.6)
    assert not s.wants(tender(cpv_main="90910000", title="Städning av skolor"), 0.4)
    assert not s.wants(tender(cpv_main="45000000", title="Städning av skolor"), 0.9)
    assert not s.wants(tender(cpv_main="90910000", title="Fönsterputs"), 0.9)
    words = [{"sector": "cleaning", "by": "words", "quote": "Lokalvård och städ"}]
    assert s.wants(tender(title="Lokalvård och städ"), 0.9, words)  # no CPV: the words say cleaning
    assert not s.wants(tender(title="Lokalvård och städ"), 0.9)  # nothing says what is bought


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
        (
            "- {email: a@example.org, org_number: 556036-0794}",
            "'556036-0794' is not a valid Swedish organisation number",
        ),
    ],
)
def test_a_wrong_entry_is_named(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "subscribers.yaml"
    path.write_text("subscribers:\n" + entry + "\n")
    with pytest.raises(SubscriberError) as err:
        load_subscribers(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_match_all_agrees_with_asking_each_subscriber() -> None:
    import random
    from dataclasses import dataclass

    @dataclass
    class Item:
        tender: Tender
        score: float

    rng = random.Random(7)
    places = ["SE312", "SE313", "SE110", "FR105", "SE3", None]
    subs = [
        Subscriber(
            key=f"s{i}",
            organisation="o",
            email=f"s{i}@example.org",
            regions=tuple(rng.sample(["SE312", "SE313", "SE11", "FR"], rng.randint(0, 2))),
            cpv=tuple(rng.sample(["909", "553", "45"], rng.randint(0, 1))),
            min_score=rng.choice([0.3, 0.6]),
            unplaced=rng.random() < 0.3,
        )
        for i in range(60)
    ]
    items = []
    for i in range(200):
        place = rng.choice(places)
        t = Tender(
            source="t",
            notice_id=str(i),
            nuts=[place] if place else [],
            buyer_country=rng.choice(["SE", "FR", None]),
            buyer_name=rng.choice(["Ludvika kommun", "Gävle kommun", "Trafikverket", None]),
            cpv_main=rng.choice(["90910000", "55300000", "45000000", None]),
        )
        items.append(Item(t, rng.random()))
    fast = match_all(subs, items)
    slow = {s.key: [it for it in items if s.wants(it.tender, it.score)] for s in subs}
    assert fast == slow
    assert sum(map(len, fast.values())) > 100  # the case is not trivially empty


def test_exclude_keywords_leave_a_tender_out() -> None:
    s = Subscriber(key="s", organisation="S", email="s@example.org", exclude=("asbest",), min_score=0.0)
    assert s.wants(tender(title="Städning av skolor"), 0.9)
    assert not s.wants(tender(title="Städning och asbestsanering"), 0.9)


def test_organisation_numbers_are_checked() -> None:
    from matching.subscriptions import valid_org_number

    assert valid_org_number("556036-0793") and valid_org_number("212000-0142") and valid_org_number("16556036-0793")
    assert not valid_org_number("556036-0794") and not valid_org_number("55603-0793") and not valid_org_number("abc")


def test_regions_by_county_name_and_several_contacts(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    regions = "[Dalarnas län, Gävleborg, SE110, Falu kommun, Mora, Göteborg]"
    path.write_text(f"subscribers:\n  - {{email: a@example.org, contacts: [b@example.org], regions: {regions}}}\n")
    (s,) = load_subscribers(path)
    assert s.regions == ("SE312", "SE313", "SE110", "SE312", "SE312", "SE232")  # municipalities stand for their county
    assert s.addresses == "a@example.org, b@example.org"
    path.write_text("subscribers:\n  - {email: a@example.org, regions: [Narnia]}\n")
    with pytest.raises(SubscriberError, match="'Narnia' is not a NUTS code, a Swedish county or a municipality"):
        load_subscribers(path)
