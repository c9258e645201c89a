"""The buyers' pages: a buyer publishes and withdraws its own notices and no one else's; a
coordinator reads the buyers' notices in their counties; every step is in the log.

Organisations, people and numbers here are invented.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from radar.buyers.notices import add_buyer, publish
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerStore

from .helpers.dashboard_site import csrf

ORG_A, ORG_B = "999999-9999", "999999-8884"  # invented
PASSWORDS = {"dala": "dala-buyer-pass-1", "sthlm": "sthlm-buyer-pass-1", "anna": "dalarna-pass-123"}
SOON = (clock.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "pages-secret-" + "y" * 20})


@pytest.fixture
def store(settings: Settings) -> Store:
    store = open_store(settings)
    a = add_buyer(store, "Dala Inköp (invented)", ORG_A, ["Dalarna"]).org
    b = add_buyer(store, "Sthlm Inköp (invented)", ORG_B, ["Stockholm"]).org
    for user, org in (("dala", a), ("sthlm", b)):
        store.save_coordinator(user, hash_password(PASSWORDS[user]), [])
        BuyerStore(store).add_user(user, org.org_number)
    store.save_coordinator("anna", hash_password(PASSWORDS["anna"]), ["SE312"])
    return store


def notice(**changes: Any) -> dict[str, Any]:
    return {"title": "Skötsel av parkmark (invented)", "status": "open", "deadline": SOON, "cpv_main": "77310000",
            **changes}  # fmt: skip


def logged_in(settings: Settings, user: str) -> TestClient:
    c = TestClient(create_app(settings), base_url="http://localhost")
    page = c.get("/login")
    answer = c.post("/login", data={"username": user, "password": PASSWORDS[user], "csrf": csrf(page.text),
                                    "next": "/buyer"}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/buyer"
    return c


def published(store: Store, org_number: str, **changes: Any) -> str:
    org = BuyerStore(store).org(org_number.replace("-", ""))
    assert org is not None
    return publish(store, org, notice(**changes), "token:test", base_url="http://localhost:8000").tender.id


def test_the_pages_send_an_anonymous_visitor_to_the_login(settings: Settings, store: Store) -> None:
    ident = published(store, ORG_A)
    c = TestClient(create_app(settings))
    for path in ("/buyer", "/buyer/new", f"/buyer/notices/{ident}"):
        answer = c.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_a_buyer_publishes_with_the_form_and_it_is_logged(settings: Settings, store: Store) -> None:
    c = logged_in(settings, "dala")
    form = c.get("/buyer/new")
    assert form.status_code == 200 and 'value="SE312"' in form.text
    fields = {"csrf": csrf(form.text), "title": "Fönsterputs i skolor (invented)", "status": "open",
              "deadline": SOON, "cpv_main": "90911300", "nuts": "SE312", "reserved": "1",
              "estimated_value": "250 000"}  # fmt: skip
    answer = c.post("/buyer/new", data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    ident = answer.headers["location"].split("/buyer/notices/")[1].split("?")[0]
    tender = store.get(ident)
    assert tender is not None and tender.reserved_participation == ["res-ws"] and tender.estimated_value == 250000
    page = c.get(f"/buyer/notices/{ident}")
    assert "Fönsterputs i skolor" in page.text and "user:dala" in page.text and "<td>Publicerad</td>" in page.text
    assert "Fönsterputs i skolor" in c.get("/buyer").text


def test_the_form_names_the_fields_to_fix_and_stores_nothing(settings: Settings, store: Store) -> None:
    c = logged_in(settings, "dala")
    form = c.get("/buyer/new")
    answer = c.post("/buyer/new", data={"csrf": csrf(form.text), "title": "x", "status": "planned",
                                        "cpv_main": "städning", "nuts": "SE312"})  # fmt: skip
    assert answer.status_code == 400
    for field in ("Rubrik", "CPV-kod", "Väntas annonseras"):
        assert field in answer.text
    assert store.count() == 0
    forged = c.post("/buyer/new", data={"csrf": "forged", "title": "Skötsel av parkmark", "status": "open"})
    assert forged.status_code == 403 and store.count() == 0


def test_a_buyer_sees_and_changes_only_its_own_notices(settings: Settings, store: Store) -> None:
    mine, theirs = published(store, ORG_A), published(store, ORG_B, nuts=["SE110"], title="Stockholm (invented)")
    c = logged_in(settings, "dala")
    listing = c.get("/buyer").text
    assert mine in listing and theirs not in listing
    assert c.get(f"/buyer/notices/{theirs}").status_code == 404
    token = csrf(c.get(f"/buyer/notices/{mine}").text)
    assert c.post(f"/buyer/notices/{theirs}/withdraw", data={"csrf": token}).status_code == 404
    kept = store.get(theirs)
    assert kept is not None and kept.status == "open"
    done = c.post(f"/buyer/notices/{mine}/withdraw", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    gone = store.get(mine)
    assert gone is not None and gone.status == "withdrawn"
    log = [(e.actor, e.action) for e in BuyerStore(store).audit_log([ORG_A.replace("-", "")])]
    assert ("user:dala", "withdraw") in log and ("token:test", "publish") in log


def test_a_coordinator_reads_the_notices_in_their_counties_and_changes_none(settings: Settings, store: Store) -> None:
    dalarna, stockholm = published(store, ORG_A), published(store, ORG_B, nuts=["SE110"], title="Sthlm (invented)")
    c = logged_in(settings, "anna")
    listing = c.get("/buyer").text
    assert dalarna in listing and stockholm not in listing and "Dala Inköp (invented)" in listing
    page = c.get(f"/buyer/notices/{dalarna}")
    assert page.status_code == 200 and "/withdraw" not in page.text
    assert c.get(f"/buyer/notices/{stockholm}").status_code == 404
    assert c.post(f"/buyer/notices/{dalarna}/withdraw", data={"csrf": csrf(page.text)}).status_code == 404
    assert c.get("/buyer/new").status_code == 403
    kept = store.get(dalarna)
    assert kept is not None and kept.status == "open"


def test_a_buyers_login_opens_its_notices_and_not_the_coordinators_pages(settings: Settings, store: Store) -> None:
    c = TestClient(create_app(settings))
    page = c.get("/login")
    answer = c.post("/login", data={"username": "dala", "password": PASSWORDS["dala"], "csrf": csrf(page.text)},
                    follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/buyer"
    store.replace_register([{"org_number": "9999997779", "name": "Kvar (invented)", "municipality": None,
                             "county": "SE312", "sectors": []}])  # fmt: skip
    for path in ("/dashboard", "/dashboard/county/SE312", "/dashboard/register", "/dashboard/sources"):
        refused = c.get(path)
        assert refused.status_code == 403 and "Sidan är för samordnare" in refused.text, path
    token = csrf(c.get("/buyer").text)
    upload = {"file": ("r.csv", b"namn;organisationsnummer\nX;999999-9999\n", "text/csv")}
    assert c.post("/dashboard/register", data={"csrf": token}, files=upload).status_code == 403
    assert [e.name for e in store.register()] == ["Kvar (invented)"]
    assert "/dashboard/register" not in c.get("/buyer").text  # the coordinators' links are not offered


def test_the_log_shows_who_did_what_to_whose_notices(settings: Settings, store: Store) -> None:
    dalarna, stockholm = published(store, ORG_A), published(store, ORG_B, nuts=["SE110"], title="Sthlm (invented)")
    buyer = logged_in(settings, "dala")
    buyer.post(f"/buyer/notices/{dalarna}/withdraw", data={"csrf": csrf(buyer.get("/buyer").text)})
    rows = buyer.get("/buyer/log?format=csv").text.lstrip("\ufeff").splitlines()
    assert rows[0] == "when,who,what,notice,title"
    assert [r.split(",")[1:4] for r in rows[1:3]] == [["user:dala", "withdraw", dalarna], ["token:test", "publish",
                                                                                             dalarna]]  # fmt: skip
    assert stockholm not in buyer.get("/buyer/log").text
    coordinator = logged_in(settings, "anna")  # Dalarna
    seen = coordinator.get("/buyer/log").text
    assert "user:dala" in seen and "Sthlm (invented)" not in seen


def test_odd_numbers_in_a_notice_page_s_address_are_ignored_not_a_server_error(
    settings: Settings, store: Store
) -> None:
    """ "²" passes str.isdigit() but int() refuses it; so does a number of 5000 digits."""
    mine = published(store, ORG_A)
    c = logged_in(settings, "dala")
    for query in ("n=²", "invited=²", "n=" + "9" * 5000, "invited=" + "9" * 5000):
        page = c.get(f"/buyer/notices/{mine}?{query}")
        assert page.status_code == 200 and "Skötsel av parkmark" in page.text, query
