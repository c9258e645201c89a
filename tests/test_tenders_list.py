"""``/tenders``: anyone finds an open tender by a word, narrows by place, sector, label, deadline and
source, sorts and pages, on SQLite and PostgreSQL; hostile words never break it; a subscriber turns
a search into the profile ("Bevaka den här sökningen"), a visitor into a sign-up.

Organisations, addresses, buyers and notices here are invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import text

import radar.web.tenders_list as tenders_list
from notifications.readable import when_text
from notifications.tokens import profile_token
from radar.web.app import create_app
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.results import Verdict
from tenders.store import MIGRATIONS, Store, drop_schema, new_schema

from .helpers.dashboard_site import csrf

SECRET = "search-secret-" + "s" * 20
KEY, EMAIL = "falu-stad-coop", "kontakt@falustad.example.org"


def day(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


def tender(notice: str, title: str, days: int | None, **extra: Any) -> Tender:
    values: dict[str, Any] = {"buyer_name": "Falu kommun", "buyer_country": "SE",
                              "notice_type": "competition", "published": day(-3)} | extra  # fmt: skip
    return Tender(source=values.pop("source", "ted"), notice_id=notice, title=title,
                  deadline=day(days) if days is not None else None, **values)  # fmt: skip


CLEANING = [{"sector": "cleaning", "by": "text", "probability": 0.8}]
SOCIAL = [{"code": "reserved_participation", "field": "reserved", "weight": 3}]
TENDERS = [  # (tender, score, label, sectors, reasons)
    (
        tender("1", "Lokalvård av förskolor i Falun", 20, description="Städning av lokaler"),
        0.9,
        "suitable",
        CLEANING,
        SOCIAL,
    ),
    (
        tender("2", "Catering for schools", 40, buyer_name="Stadt Berlin", buyer_country="DE", buyer_nuts="DE300"),
        0.4,
        "possible",
        [],
        [],
    ),
    (tender("3", "Lokalvård som gått ut", -2), 0.95, "suitable", CLEANING, SOCIAL),
    (tender("4", "Lokalvård Gävle", 60, buyer_name="Gävle kommun", source="gavle-rss"), 0.5, "possible", [], []),
    (tender("5", "Lokalvård tilldelad", 10, notice_type="result"), 0.9, "suitable", [], []),
    (tender("6", "Planerad lokalvård", None, notice_type="planning"), 0.6, "possible", CLEANING, []),
]


def fill(store: Store) -> None:
    verdicts = {t.id: Verdict(score, label, reasons, "test", sectors) for t, score, label, sectors, reasons in TENDERS}
    store.upsert([t for t, *_ in TENDERS], verdicts)


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, Settings, Store]]:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
    env = {"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": SECRET, "TENDER_RADAR_WORKERS": "1"}
    if request.param == "postgresql":
        env["TENDER_RADAR_DATABASE_URL"] = new_schema(request.getfixturevalue("pg_url"), "search")
    settings = load_settings(env)
    store = Store(settings.database_url)
    store.migrate()
    fill(store)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client, settings, store
    store.engine.dispose()
    if request.param == "postgresql":
        drop_schema(settings.database_url)


def found(html: str) -> list[str]:
    """The tender ids on a result page, in order."""
    return re.findall(r'data-tender="([^"]+)"', html)


def test_a_word_finds_the_open_tender_and_its_row_says_why_when_by_whom_and_where(site: Any) -> None:
    client, _, _ = site
    page = client.get("/tenders", params={"q": "lokalvård"})
    assert page.status_code == 200
    assert found(page.text) == ["ted:1", "gavle-rss:4"]  # not the expired one, the result or the planned one
    row = page.text.split('data-tender="ted:1"')[1].split("</li>")[0]
    assert "Därför: " in row and "reserv" in row.lower()  # the reason in words, on one line
    assert "Falu kommun" in row and "Dalarnas län" in row  # the buyer and the place by name
    assert f"Sista anbudsdag: {when_text(day(20), 'sv')}" in row
    assert found(client.get("/tenders", params={"q": "städ"}).text) == ["ted:1"]  # a prefix, in the description
    assert found(client.get("/tenders", params={"q": "LOKALVÅRD falun"}).text) == ["ted:1"]  # every word, any case
    assert found(client.get("/tenders", params={"q": "berlin"}).text) == ["ted:2"]  # the buyer's name
    english = client.get("/tenders", params={"q": "lokalvård", "lang": "en"}).text
    assert "Open tenders" in english and "Deadline" in english


def test_filters_place_sector_label_deadline_source_and_planned(site: Any) -> None:
    client, _, _ = site

    def ids(**params: str) -> list[str]:
        response = client.get("/tenders", params=params)
        assert response.status_code == 200, response.text
        return found(response.text)

    assert ids() == ["ted:1", "gavle-rss:4", "ted:2"]  # the most suitable first
    assert ids(order="deadline") == ["ted:1", "ted:2", "gavle-rss:4"]  # the nearest deadline first
    assert ids(county="SE312") == ["ted:1"]
    assert ids(municipality="Gävle") == ["gavle-rss:4"]
    assert ids(municipality="Falu kommun") == ["ted:1"]
    assert ids(sector="cleaning") == ["ted:1"]  # predicted from its words
    assert ids(label="possible") == ["gavle-rss:4", "ted:2"]
    assert ids(source="gavle-rss") == ["gavle-rss:4"]
    assert ids(**{"from": day(30), "to": day(45)}) == ["ted:2"]
    assert ids(state="planned") == ["ted:6"]
    assert ids(q="lokalvård", county="SE313") == ["gavle-rss:4"]


def test_pages_of_twenty(site: Any) -> None:
    client, _, store = site
    many = [tender(f"p{i:02d}", f"Fönsterputs {i}", 30 + i) for i in range(25)]
    store.upsert(many, {t.id: Verdict(0.3, "possible", [], "test") for t in many})
    first = client.get("/tenders", params={"q": "fönsterputs", "order": "deadline"})
    assert found(first.text) == [f"ted:p{i:02d}" for i in range(20)]
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/tenders", params={"q": "fönsterputs", "order": "deadline", "page": "2"})
    assert found(second.text) == [f"ted:p{i:02d}" for i in range(20, 25)]
    assert 'rel="next"' not in second.text and 'rel="prev"' in second.text


@pytest.mark.parametrize("words", ['"', '"lokalvård', "lokalvård*", "NEAR(lokalvård falun)", "a:* & !b | c",
                                   "\x00lokalvård", "'; DROP TABLE tenders; --", "lokalvård OR catering", "-falun",
                                   "^", "x" * 200, "å" * 199, "(((", "\u202e\u0000"])  # fmt: skip
def test_hostile_words_never_break_the_search(site: Any, words: str) -> None:
    client, _, store = site
    response = client.get("/tenders", params={"q": words})
    assert response.status_code == 200
    assert store.count() == len(TENDERS)


@pytest.mark.parametrize(("params", "said"), [({"q": "x" * 201}, "the search words are too long"),
                                              ({"county": "SE999"}, "no such county"),
                                              ({"sector": "'; --"}, "no such sector"),
                                              ({"label": "great"}, "no such assessment"),
                                              ({"from": "2027-13-01"}, "a date is written YYYY-MM-DD"),
                                              ({"to": "tomorrow"}, "a date is written YYYY-MM-DD"),
                                              ({"page": "0"}, "the page is a number"), ({"page": "²"}, "the page is"),
                                              ({"order": "price"}, "choose an order"),
                                              ({"state": "closed"}, "choose open or planned"),
                                              ({"municipality": "Atlantis"}, "no such municipality"),
                                              ({"municipality": "Mora", "county": "SE110"}, "no such municipality"),
                                              ({"source": "a b"}, "a source's name")])  # fmt: skip
def test_a_wrong_parameter_is_a_400_saying_which_and_why(site: Any, params: dict[str, str], said: str) -> None:
    client, _, _ = site
    response = client.get("/tenders", params={**params, "lang": "en"})
    assert response.status_code == 400
    assert f"The search could not be made: {said}" in response.text.replace("&#39;", "'")
    assert "Sökningen kunde inte göras: " in client.get("/tenders", params={**params, "lang": "sv"}).text


def test_one_client_searching_too_fast_is_told_to_wait(site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, _ = site
    monkeypatch.setattr(tenders_list, "SEARCHES_PER_CLIENT", 3)
    statuses = [client.get("/tenders", params={"q": "lokalvård"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def subscribe(store: Store, **profile: Any) -> str:
    store.sign_up(KEY, EMAIL, {"key": KEY, "organisation": "Falu Städkooperativ (invented)", "email": EMAIL,
                               "regions": ["SE110"], "sectors": ["catering"], "keywords": ["mat"],
                               "frequency": "weekly", "language": "sv", **profile})  # fmt: skip
    store.confirm(KEY, "127.0.0.1")
    return profile_token(SECRET, KEY)


def test_a_subscriber_watches_the_search_after_confirming_and_keeps_the_rest_of_the_profile(site: Any) -> None:
    client, _, store = site
    token = subscribe(store)
    profile = client.get("/profile", params={"token": token}).text
    search = profile.split('id="search-tenders" href="')[1].split('"')[0].replace("&amp;", "&")
    assert search.startswith("/tenders?") and token in search  # the profile page leads to the list as this subscriber
    page = client.get("/tenders", params={"q": "lokalvård", "county": "SE312", "sector": "cleaning", "token": token})
    assert 'class="watch"' in page.text  # "Bevaka" on each row
    link = page.text.split('id="watch-search" href="')[1].split('"')[0].replace("&amp;", "&")
    assert link.startswith("/watch-search?")
    confirm = client.get(link)
    assert confirm.status_code == 200 and "Dalarnas län" in confirm.text and "lokalvård" in confirm.text
    row = store.signed_up_row(KEY)
    assert row is not None and row.profile["keywords"] == ["mat"]  # nothing changes before the confirmation
    done = client.post(link, data={"csrf": csrf(confirm.text)})
    assert done.status_code == 200 and "Er profil bevakar nu sökningen." in done.text
    row = store.signed_up_row(KEY)
    assert row is not None
    assert (row.profile["keywords"], row.profile["regions"], row.profile["sectors"]) == (["lokalvård"], ["SE312"],
                                                                                        ["cleaning"])  # fmt: skip
    assert row.profile["frequency"] == "weekly" and row.email == EMAIL
    assert client.post(link, data={"csrf": "forged"}).status_code == 403
    assert client.get("/watch-search?q=x&token=forged").status_code == 400


def test_a_visitor_watching_the_search_is_led_to_a_sign_up_filled_in_with_it(site: Any) -> None:
    client, _, _ = site
    page = client.get("/tenders", params={"q": "lokalvård", "county": "SE312", "sector": "cleaning"})
    assert 'class="watch"' not in page.text  # no subscriber: no "Bevaka" per row
    link = page.text.split('id="watch-search" href="')[1].split('"')[0].replace("&amp;", "&")
    assert link.startswith("/subscribe?")
    form = client.get(link).text
    assert 'id="keywords" name="keywords" value="lokalvård"' in form
    assert 'id="regions" name="regions" value="SE312"' in form
    assert 'value="cleaning" checked' in form


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migration_indexes_tenders_stored_before_it_and_steps_down_and_up(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = new_schema(request.getfixturevalue("pg_url"), "mig") if kind == "postgresql" else f"sqlite:///{tmp_path}/s.db"
    store = Store(url)
    store.migrate()
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0019_watches")
        fill(store)  # stored before the index exists
        store.migrate()
        client_settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_DATABASE_URL": url,
                                         "TENDER_RADAR_SECRET": SECRET})  # fmt: skip
        with TestClient(create_app(client_settings), base_url="http://localhost") as client:
            assert found(client.get("/tenders", params={"q": "städning"}).text) == ["ted:1"]
        store.upsert([tender("1", "Fönsterputs i Falun", 20)])  # a changed title is found by its new words only
        with TestClient(create_app(client_settings), base_url="http://localhost") as client:
            assert found(client.get("/tenders", params={"q": "fönsterputs"}).text) == ["ted:1"]
            assert found(client.get("/tenders", params={"q": "förskolor"}).text) == []
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM tenders")).scalar() == len(TENDERS)
    finally:
        store.engine.dispose()
        if kind == "postgresql":
            drop_schema(url)
