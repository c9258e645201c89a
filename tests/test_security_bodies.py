"""Bodies the buyers' side reads (issue 25, item 6): JSON nested 100,000 deep is a 4xx that says so
(a 500 through RecursionError before), and a plan whose previewed rows pass 1 MB is imported (a
400 from Starlette's own cap of 1 MB a form field before, whatever radar/web/limits.py allowed).

Organisations, numbers and plans here are invented.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from radar.buyers.notices import add_buyer
from radar.web.app import create_app
from radar.web.auth import hash_password
from radar.web.limits import LIMITS
from tenders.config import Settings, load_settings
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerStore

from .helpers.dashboard_site import csrf
from .helpers.plans import HEADERS, NEXT_YEAR

DEEP = "[" * 100_000 + "]" * 100_000  # 200 kB


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "body-secret-" + "b" * 20})


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings)


@pytest.fixture
def buyer(settings: Settings, store: Store) -> TestClient:
    """A buyer's browser, logged in."""
    org = add_buyer(store, "Dala Inköp (invented)", "999999-9999", ["Dalarna"]).org
    store.save_coordinator("dala", hash_password("dala-buyer-pass-1"), [])
    BuyerStore(store).add_user("dala", org.org_number)
    c = TestClient(create_app(settings), base_url="http://localhost:8000")
    page = c.get("/login")
    c.post("/login", data={"username": "dala", "password": "dala-buyer-pass-1", "csrf": csrf(page.text)})
    return c


def test_deeply_nested_json_on_the_api_is_a_422_saying_so(settings: Settings, store: Store) -> None:
    token = add_buyer(store, "Dala Inköp (invented)", "999999-9999", ["Dalarna"]).token
    c = TestClient(create_app(settings), raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    published = c.post("/api/v1/notices", content=DEEP, headers=auth)
    assert published.status_code == 422 and "nested too deeply" in published.json()["error"]
    edited = c.put("/api/v1/notices/buyer:dala-inkop-1:x", content=DEEP, headers=auth)
    assert edited.status_code == 422 and "nested too deeply" in edited.json()["error"]
    assert store.count() == 0


def test_deeply_nested_rows_on_the_plan_import_are_a_400_saying_so(buyer: TestClient, store: Store) -> None:
    page = buyer.get("/buyer/plan")
    answer = buyer.post("/buyer/plan/import", data={"csrf": csrf(page.text), "rows": DEEP})
    assert answer.status_code == 400 and "nästlade för djupt" in answer.text
    assert store.count() == 0


def test_a_plan_whose_previewed_rows_pass_1_mb_is_imported(buyer: TestClient, store: Store) -> None:
    """80 planned procurements with a long description each (a plan's own limit is 5 MB and 5,000 rows)."""
    lines = [",".join([*HEADERS, "Beskrivning"])] + [
        f"UH-2027-{i:04d},Lokalvård förskolor i Dalarna del {i},90910000 Städning,{NEXT_YEAR}-03-01,Dalarna,"
        f"1200000,Ja,{'Daglig städning av lokaler och fönsterputs två gånger om året. ' * 220}"
        for i in range(1, 81)
    ]
    upload = {"file": ("plan.csv", "\n".join(lines).encode("utf-8"), "text/csv")}
    page = buyer.get("/buyer/plan")
    preview = buyer.post("/buyer/plan", data={"csrf": csrf(page.text), "col_description": "Beskrivning"},
                         files=upload)  # fmt: skip
    assert preview.status_code == 200 and "Importera 80 rader" in preview.text
    rows = html.unescape(preview.text.split('name="rows" value="', 1)[1].split('"', 1)[0])
    assert 1024 * 1024 < len(rows.encode()) < LIMITS["/buyer/plan/import"]
    done = buyer.post("/buyer/plan/import", data={"csrf": csrf(preview.text), "rows": rows})
    assert done.status_code == 200 and "Nya: 80," in done.text
    assert store.count() == 80


def test_a_form_field_is_held_to_its_route_s_body_limit(buyer: TestClient) -> None:
    """The same field over the route's own limit is still refused, with a 413 naming the limit."""
    page = buyer.get("/buyer/plan")
    over = "x" * (LIMITS["/buyer/plan/import"] + 1)
    answer = buyer.post("/buyer/plan/import", data={"csrf": csrf(page.text), "rows": over})
    assert answer.status_code == 413 and f"{LIMITS['/buyer/plan/import'] // 1024} KB" in answer.text
