"""The supply behind a plan on the buyer's page, and a dialogue invitation sent from it.

Organisations, people, addresses and numbers here are invented.
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from radar.buyers.interest import raise_hand
from radar.buyers.notices import add_buyer, publish
from radar.buyers.supply import supply
from radar.subscribers import active_subscribers
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders.config import Settings, load_settings
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerOrg, BuyerStore

from .helpers.dashboard_site import csrf

ORG = "999999-9999"  # invented
REGISTER = [  # invented enterprises; the sectors in the register's own free words
    ("9999990001", "Städ Ett (invented)", "SE312", ["städ"]),
    ("9999990002", "Städ Två (invented)", "SE312", ["Städning och lokalvård"]),
    ("9999990003", "Städ Tre (invented)", "SE312", ["cleaning", "trädgård"]),
    ("9999990004", "Gävle Städ (invented)", "SE313", ["städ"]),
    ("9999990005", "Grönt (invented)", "SE312", ["trädgård"]),
]
LOTS = [
    {"id": "LOT-1", "title": "Lokalvård", "cpv_main": "90910000"},
    {"id": "LOT-2", "title": "Grönytor", "cpv_main": "77310000"},
    {"id": "LOT-3", "title": "Ärendesystem", "cpv_main": "72000000"},
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(
        "subscribers:\n  - {key: dala-stad, organisation: Dala Städ (invented), email: hej@dalastad.example.org,"
        " regions: [SE312], sectors: [cleaning]}\n",
        encoding="utf-8",
    )
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "supply-secret-" + "s" * 20})


@pytest.fixture
def store(settings: Settings) -> Store:
    store = open_store(settings)
    store.replace_register([{"org_number": n, "name": name, "municipality": None, "county": county,
                             "sectors": sectors} for n, name, county, sectors in REGISTER])  # fmt: skip
    return store


@pytest.fixture
def org(store: Store) -> BuyerOrg:
    org = add_buyer(store, "Dala Inköp (invented)", ORG, ["Dalarna"], "upphandling@dala-inkop.example.org").org
    store.save_coordinator("dala", hash_password("dala-buyer-pass-1"), [])
    BuyerStore(store).add_user("dala", org.org_number)
    return org


@pytest.fixture
def plan_id(store: Store, org: BuyerOrg) -> str:
    body = {"title": "Drift av kommunhuset (invented)", "status": "planned", "expected_publication": "2030-01-01",
            "nuts": ["SE312"], "lots": LOTS}  # fmt: skip
    return publish(store, org, body, "token:test", base_url="http://localhost:8000").tender.id


def test_the_supply_counts_enterprises_and_subscribers_by_sector_and_place(
    settings: Settings, store: Store, plan_id: str
) -> None:
    tender = store.get(plan_id)
    assert tender is not None
    found = supply(tender, store.register(), active_subscribers(settings, store))
    by_lot = {i.item: i for i in found.items}
    assert sorted(by_lot["LOT-1"].enterprises) == ["Städ Ett (invented)", "Städ Tre (invented)", "Städ Två (invented)"]
    assert sorted(by_lot["LOT-2"].enterprises) == ["Grönt (invented)", "Städ Tre (invented)"]
    assert by_lot["LOT-3"].enterprises == () and by_lot["LOT-1"].subscribers == 1 and by_lot["LOT-2"].subscribers == 0
    assert found.enterprises == 4 and found.subscribers == 1  # Gävle is elsewhere
    assert [i.item for i in found.reservable(3)] == ["LOT-1"]
    assert [i.item for i in found.reservable(2)] == ["LOT-1", "LOT-2"]
    assert [i.item for i in found.unmatched()] == ["LOT-3"]


def login(settings: Settings) -> TestClient:
    c = TestClient(create_app(settings))
    page = c.get("/login")
    c.post("/login", data={"username": "dala", "password": "dala-buyer-pass-1", "csrf": csrf(page.text)})
    return c


def test_the_buyers_page_shows_the_supply_with_a_number_of_its_choosing(
    settings: Settings, store: Store, org: BuyerOrg, plan_id: str
) -> None:
    c = login(settings)
    page = c.get(f"/buyer/notices/{plan_id}").text
    assert "Utbudet bakom planen" in page and "4 sociala företag i registret och 1 prenumerant gör" in page
    reservable, unmatched = page.split("minst 3 företag", 1)[1].split("Inget socialt företag", 1)
    assert "Lokalvård" in reservable and "Grönytor" not in reservable and "Ärendesystem" in unmatched
    assert "Grönytor" in c.get(f"/buyer/notices/{plan_id}?n=2").text.split("minst 2 företag", 1)[1]


def test_an_invitation_from_the_page_reaches_those_who_shared_their_contact(
    settings: Settings, store: Store, org: BuyerOrg, plan_id: str
) -> None:
    raise_hand(settings, store, "dala-stad", plan_id, share_contact=True)
    c = login(settings)
    page = c.get(f"/buyer/notices/{plan_id}")
    answer = c.post(f"/buyer/notices/{plan_id}/invite", data={"csrf": csrf(page.text), "text": "Dialogmöte 3 mars"})
    assert answer.status_code == 200 and "Inbjudan skickades till 1 företag" in answer.text
    (path,) = settings.outbox_dir.glob("*.eml")
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["Reply-To"] == "upphandling@dala-inkop.example.org" and mail["To"] == "hej@dalastad.example.org"
    assert "invite" in [a.action for a in BuyerStore(store).audit_log()]
