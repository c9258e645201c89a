"""A buyer's procurement plan from XLSX or CSV: column mapping, preview, import, and the planned
procurement linked to its advertisement later by the Upphandlings-ID.

The workbook is built by tests/helpers/plans.py (which says where its headers come from); the
organisation and numbers here are invented.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from radar.buyers.notices import add_buyer
from radar.buyers.plans import PlanError, guess_mapping, import_plan, plan_rows, read_table
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerOrg, BuyerStore

from .helpers.dashboard_site import csrf
from .helpers.plans import HEADERS, NEXT_YEAR, workbook

ORG = "999999-9999"  # invented


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "plan-secret-" + "p" * 20})


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings)


@pytest.fixture
def org(store: Store) -> BuyerOrg:
    return add_buyer(store, "Dala Inköp (invented)", ORG, ["Dalarna"]).org


def test_an_xlsx_plan_is_mapped_previewed_and_imported_once(tmp_path: Path, store: Store, org: BuyerOrg) -> None:
    table = read_table(workbook(tmp_path / "plan.xlsx").read_bytes(), "plan.xlsx")
    mapping = guess_mapping(table.headers)
    assert mapping == {"title": "Upphandlingens titel", "expected_publication": "Planerad annonsering",
                       "procedure_id": "Upphandlings-ID", "cpv": "Huvudsaklig CPV-kod", "place": "Län",
                       "value": "Uppskattat värde", "reserved": "Reserverad upphandling"}  # fmt: skip
    rows = plan_rows(table, mapping)
    assert [r.line for r in rows] == [2, 3, 5]  # the empty row is no procurement
    first, second, bad = rows
    assert first.notice == {"status": "planned", "title": "Lokalvård förskolor",
                            "expected_publication": f"{NEXT_YEAR}-03-01", "procedure_id": "UH-2027-001",
                            "cpv_main": "90910000", "nuts": ["SE312"], "estimated_value": 1200000.0,
                            "reserved_participation": ["res-ws"]}  # fmt: skip
    assert second.notice["estimated_value"] == 350000 and second.notice["nuts"] == ["SE312"] and not second.errors
    assert "cpv" in bad.errors and "städning" in bad.errors["cpv"]
    assert store.count() == 0  # a preview stores nothing

    done = import_plan(store, org, rows, "user:test", base_url="http://localhost:8000")
    assert len(done.created) == 2 and done.failed == [(5, bad.errors)]
    stored = store.get(done.created[0])
    assert stored is not None and stored.status == "planned" and stored.notice_type == "planning"
    again = import_plan(store, org, plan_rows(table, mapping), "user:test", base_url="http://localhost:8000")
    assert again.created == [] and len(again.unchanged) == 2 and store.count() == 2


def test_a_mapping_naming_a_missing_column_lists_the_real_ones(tmp_path: Path) -> None:
    table = read_table(workbook(tmp_path / "plan.xlsx").read_bytes(), "plan.xlsx")
    with pytest.raises(PlanError) as caught:
        plan_rows(table, {"title": "Rubrik", "expected_publication": "Planerad annonsering"})
    message = str(caught.value)
    assert "'Rubrik'" in message and all(h in message for h in HEADERS)
    with pytest.raises(PlanError, match="expected_publication"):
        plan_rows(table, {"title": "Upphandlingens titel"})
    with pytest.raises(PlanError, match="not an XLSX"):
        read_table(b"PK\x03\x04 broken", "plan.xlsx")


def test_a_csv_plan_with_semicolons(store: Store, org: BuyerOrg) -> None:
    text = f"Rubrik;Annonseras;Dnr\nTvätt av gardiner;{NEXT_YEAR}-02-01;KS 2026/17\n"
    table = read_table(text.encode("utf-8-sig"), "plan.csv")
    rows = plan_rows(table, {"title": "Rubrik", "expected_publication": "Annonseras", "procedure_id": "Dnr"})
    done = import_plan(store, org, rows, "user:test", base_url="http://localhost:8000")
    assert len(done.created) == 1
    stored = store.get(done.created[0])
    assert stored is not None and stored.nuts == ["SE312"] and stored.procedure_id == "KS 2026/17"


def test_the_command_line_previews_imports_and_names_a_wrong_mapping(tmp_path: Path, settings: Settings,
                                                                     org: BuyerOrg) -> None:  # fmt: skip
    plan = workbook(tmp_path / "plan.xlsx")
    env = {**os.environ, "TENDER_RADAR_HOME": str(settings.home), "TENDER_RADAR_SECRET": "plan-secret-" + "p" * 20}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "radar.cli", "buyer", "plan", org.name, str(plan), *args],
                              capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip

    preview = cli()
    assert preview.returncode == 0 and "2 of 3 rows can be imported" in preview.stdout
    wrong = cli("--column", "title=Titel")
    assert wrong.returncode == 1 and "'Titel'" in wrong.stderr and "Upphandlingens titel" in wrong.stderr
    imported = cli("--import")
    assert "imported: 2 new" in imported.stdout and "line 5: cpv" in imported.stderr
    assert len(BuyerStore(open_store(settings)).notices()) == 2


def test_a_buyer_uploads_previews_and_imports_a_plan_in_the_browser(
    tmp_path: Path, settings: Settings, store: Store, org: BuyerOrg
) -> None:
    store.save_coordinator("dala", hash_password("dala-buyer-pass-1"), [])
    BuyerStore(store).add_user("dala", org.org_number)
    c = TestClient(create_app(settings))
    login = c.get("/login")
    c.post("/login", data={"username": "dala", "password": "dala-buyer-pass-1", "csrf": csrf(login.text)})
    form = c.get("/buyer/plan")
    upload = {"file": ("plan.xlsx", workbook(tmp_path / "plan.xlsx").read_bytes(), "application/octet-stream")}
    preview = c.post("/buyer/plan", data={"csrf": csrf(form.text)}, files=upload)
    assert preview.status_code == 200 and "Lokalvård förskolor" in preview.text and "Importera 2 rader" in preview.text
    assert store.count() == 0
    wrong = c.post("/buyer/plan", data={"csrf": csrf(form.text), "col_title": "Titel"}, files=upload)
    assert wrong.status_code == 400 and "Upphandlingens titel" in wrong.text
    payload = preview.text.split('name="rows" value="', 1)[1].split('"', 1)[0]
    done = c.post("/buyer/plan/import", data={"csrf": csrf(preview.text), "rows": html.unescape(payload)})
    assert done.status_code == 200 and "Nya: 2," in done.text and "Skötsel av grönytor" in done.text
    assert store.count() == 2


def test_a_planned_procurement_is_linked_to_its_advertisement_by_the_upphandlings_id(
    tmp_path: Path, store: Store, org: BuyerOrg
) -> None:
    table = read_table(workbook(tmp_path / "plan.xlsx").read_bytes(), "plan.xlsx")
    planned = import_plan(store, org, plan_rows(table, guess_mapping(table.headers)), "user:test",
                          base_url="http://localhost:8000").created[0]  # fmt: skip
    advertised = Tender(source="municipal-page", notice_id="x1", procedure_id="UH-2027-001", notice_type="competition",
                        title="Lokalvård förskolor i Ludvika", buyer_org_id=ORG, nuts=["SE312"],
                        deadline=(clock.today() + timedelta(days=40)).isoformat())  # fmt: skip
    assert store.upsert([advertised]).linked == 1
    assert {listing.tender_id for listing in store.listings(planned)} == {planned, advertised.id}


def test_a_plan_larger_than_the_default_form_limit_is_previewed_and_imported(
    settings: Settings, store: Store, org: BuyerOrg
) -> None:
    """A plan of a few hundred rows passes 64 KB; the plan's own limit (5 MB, MAX_ROWS) is the one to apply."""
    store.save_coordinator("dala", hash_password("dala-buyer-pass-1"), [])
    BuyerStore(store).add_user("dala", org.org_number)
    c = TestClient(create_app(settings))
    login = c.get("/login")
    c.post("/login", data={"username": "dala", "password": "dala-buyer-pass-1", "csrf": csrf(login.text)})
    lines = [",".join(HEADERS)] + [
        f"UH-2027-{i:04d},Lokalvård förskolor och fritidsgårdar i Dalarna del {i},90910000 Städning,"
        f"{NEXT_YEAR}-03-01,Dalarna,1200000,Ja"
        for i in range(1, 801)
    ]  # invented rows
    upload = {"file": ("plan.csv", "\n".join(lines).encode("utf-8"), "text/csv")}
    assert len(upload["file"][1]) > 64 * 1024
    form = c.get("/buyer/plan")
    preview = c.post("/buyer/plan", data={"csrf": csrf(form.text)}, files=upload)
    assert preview.status_code == 200 and "Importera 800 rader" in preview.text
    payload = html.unescape(preview.text.split('name="rows" value="', 1)[1].split('"', 1)[0])
    done = c.post("/buyer/plan/import", data={"csrf": csrf(preview.text), "rows": payload})
    assert done.status_code == 200 and "Nya: 800," in done.text
    assert store.count() == 800
