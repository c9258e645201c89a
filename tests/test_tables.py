"""Uploaded tables (a buyer's plan, a statistics export) are read within bounds, whatever the file claims.

The hostile files are built by radar/ops/hostile_tables.py (every one invented): issue 25's 1.5 kB
workbook declaring ``A1:XFD1048576``, its 1.5 MB one whose shared strings inflate to 1.5 GB,
and their cousins. Each is read in a child process whose address space is capped at 2 GB, so a
reader that pads or inflates fails here instead of taking the test machine with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from radar.buyers.notices import add_buyer
from radar.buyers.plans import read_table
from radar.ops.hostile_tables import HOSTILE, dimension_bomb, sheet, workbook
from radar.reports.statistics import StatisticsError, read_export
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders.config import Settings, load_settings
from tenders.store import open_store
from tenders.store.buyers import BuyerStore

from .helpers.dashboard_site import csrf
from .helpers.plans import workbook as plan_workbook

PROJECT = Path(__file__).resolve().parent.parent
CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from radar.ops.hostile_tables import HOSTILE
from radar.buyers.plans import PlanError, read_table
out = {}
for name, build in HOSTILE.items():
    data = build()
    try:
        table = read_table(data, "plan.csv" if "CSV" in name else "plan.xlsx")
        out[name] = {"rows": len(table.rows)}
    except PlanError as exc:
        out[name] = {"refused": str(exc)}
    except BaseException as exc:
        out[name] = {"crashed": f"{type(exc).__name__}: {exc}"[:300]}
print(json.dumps(out))
"""


def test_every_hostile_table_is_refused_or_read_with_a_message_naming_the_file() -> None:
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=600,
                           cwd=PROJECT, check=False)  # fmt: skip
    assert child.returncode == 0, child.stderr[-2000:]
    results = json.loads(child.stdout.strip().splitlines()[-1])
    assert set(results) == set(HOSTILE)
    crashed = {name: r["crashed"] for name, r in results.items() if "crashed" in r}
    assert crashed == {}
    refused = {name: r["refused"] for name, r in results.items() if "refused" in r}
    assert all(message.startswith("plan.") for message in refused.values()), refused
    assert "line 1,048,576" in refused["dimension A1:XFD1048576"]
    assert "xl/sharedStrings.xml inflates to 1,5" in refused["shared strings to 1.5 GB"]
    assert "Bad CRC-32" in refused["a part lying about its size"]
    assert "DTD" in refused["entity expansion"]
    assert "more than 5,000 rows" in refused["a million rows"]
    assert "field larger than field limit" in refused["a 4 MB CSV field"]
    # the largest files that keep within every cap are read, not refused
    assert results["shared strings up to their cap"] == {"rows": 1}
    assert results["one row of 300,000 cells"] == {"rows": 1}


def test_the_declared_dimension_is_ignored_and_columns_past_the_cap_are_not_read() -> None:
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Titel</t></is></c><c r="B1" t="inlineStr"><is><t>Annonseras</t>'
        '</is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>Lokalvård</t></is></c><c r="B3"><v>46082</v></c>'
        '<c r="XFD3" t="inlineStr"><is><t>far away</t></is></c></row>'
    )
    data = workbook({"xl/worksheets/sheet1.xml": sheet(rows, '<dimension ref="A1:XFD1048576"/>')})
    table = read_table(data, "plan.xlsx")
    assert table.headers == ["Titel", "Annonseras"]
    assert table.rows == [(3, ["Lokalvård", "46082"])]  # line 3 kept, the far column dropped


def test_an_ordinary_workbook_gives_its_text_dates_and_numbers(tmp_path: Path) -> None:
    from tests.helpers.plans import NEXT_YEAR

    path = plan_workbook(tmp_path / "plan.xlsx")
    table = read_table(path.read_bytes(), "plan.xlsx")
    assert table.rows[0][1][:4] == ["UH-2027-001", "Lokalvård förskolor", "90910000 Städning", f"{NEXT_YEAR}-03-01"]
    assert table.rows[0][1][5] == "1200000"


def test_a_statistics_import_names_the_file_of_a_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "export.xlsx"
    bomb.write_bytes(dimension_bomb())
    with pytest.raises(StatisticsError, match=r"export\.xlsx: .*not an export"):
        read_export(bomb)  # its one header row is not an export's; the rows below are never padded
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(HOSTILE["a broken zip"]())
    with pytest.raises(StatisticsError, match=r"broken\.xlsx: cannot be read as an XLSX or CSV export: not an XLSX"):
        read_export(broken)


def test_the_command_line_refuses_a_bomb_in_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "export.xlsx"
    bomb.write_bytes(HOSTILE["entity expansion"]())
    env = {**os.environ, "TENDER_RADAR_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "radar.cli", "statistics", "import", str(bomb)], cwd=PROJECT,
                          capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip
    assert done.returncode != 0 and "export.xlsx" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "plan-secret-" + "p" * 20})


@pytest.mark.parametrize("name", ["dimension A1:XFD1048576", "entity expansion", "a broken zip", "a 4 MB CSV field"])
def test_the_plan_page_answers_a_hostile_file_with_a_400_naming_it(settings: Settings, name: str) -> None:
    store = open_store(settings)
    org = add_buyer(store, "Dala Inköp (invented)", "999999-9999", ["Dalarna"]).org
    store.save_coordinator("dala", hash_password("dala-buyer-pass-1"), [])
    BuyerStore(store).add_user("dala", org.org_number)
    c = TestClient(create_app(settings), raise_server_exceptions=False)
    login = c.get("/login")
    c.post("/login", data={"username": "dala", "password": "dala-buyer-pass-1", "csrf": csrf(login.text)})
    form = c.get("/buyer/plan")
    filename = "plan.csv" if "CSV" in name else "plan.xlsx"
    answer = c.post("/buyer/plan", data={"csrf": csrf(form.text)},
                    files={"file": (filename, HOSTILE[name](), "application/octet-stream")})  # fmt: skip
    assert answer.status_code == 400 and filename in answer.text
    assert store.count() == 0
