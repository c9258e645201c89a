"""A buyer's notice and an enterprise's note are checked and cleaned like every other text (issue 25, item 6):
a NUL is refused, not a 500 on PostgreSQL; controls, bidi characters and line breaks do not reach the store;
a deadline is a date and nothing after it; a CPV code is ASCII digits.

The organisations, numbers and addresses are invented.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from radar.buyers.interest import raise_hand
from radar.buyers.notices import add_buyer
from radar.web.app import create_app
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.store import Store, drop_schema, new_schema, open_store
from tenders.store.buyers import BuyerStore

ORG = "999999-9999"  # invented
SOON = (clock.today() + timedelta(days=30)).isoformat()


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(
        "subscribers:\n  - {key: dala-stad, organisation: Dala Städ (invented), email: hej@dalastad.example.org,\n"
        "     regions: [SE312], frequency: daily}\n",
        encoding="utf-8",
    )
    env = {"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "notices-secret-" + "n" * 20,
           "TENDER_RADAR_WORKERS": "1"}  # fmt: skip
    if request.param == "postgresql":
        env["TENDER_RADAR_DATABASE_URL"] = new_schema(request.getfixturevalue("pg_url"), "notices")
    yield load_settings(env)
    if request.param == "postgresql":
        drop_schema(env["TENDER_RADAR_DATABASE_URL"])


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings)


@pytest.fixture
def client(settings: Settings, store: Store) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture
def bearer(store: Store) -> dict[str, str]:
    return {"Authorization": f"Bearer {add_buyer(store, 'Dala Inköp (invented)', ORG, ['Dalarna']).token}"}


def notice(**changes: Any) -> dict[str, Any]:
    return {"title": "Lokalvård av förskolor (invented)", "status": "open", "deadline": SOON, "cpv_main": "90910000",
            **changes}  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Lokalvård\x00 förskolor"},
        {"description": "Städning.\x00"},
        {"social_objectives": ["a\x00"]},
        {"lots": [{"id": "1", "title": "Del\x00 1"}]},
    ],
)
def test_a_nul_in_a_notice_is_refused_by_name_not_a_500(
    client: TestClient, bearer: dict[str, str], store: Store, changes: dict[str, Any]
) -> None:
    answer = client.post("/api/v1/notices", json=notice(**changes), headers=bearer)
    assert answer.status_code == 422, answer.text
    assert "NUL" in next(iter(answer.json()["fields"].values()))
    assert store.count() == 0


def test_a_note_with_a_nul_is_kept_without_it(settings: Settings, store: Store, client: TestClient,
                                              bearer: dict[str, str]) -> None:  # fmt: skip
    planned = notice(status="planned", expected_publication=SOON)
    del planned["deadline"]
    ident = client.post("/api/v1/notices", json=planned, headers=bearer).json()["id"]
    row = raise_hand(settings, store, "dala-stad", ident, note="Vi kan\x00 städa.\r\nRing oss\x1b[2J \u202eevil",
                     capacity="3 personer\r\nX-Evil: 1")  # fmt: skip
    assert row.note == "Vi kan  städa.\nRing oss [2J evil" and row.capacity == "3 personer X-Evil: 1"
    (stored,) = BuyerStore(store).interest(ident)
    assert stored.note == row.note


def test_controls_bidi_and_line_breaks_do_not_reach_the_store(
    client: TestClient, bearer: dict[str, str], store: Store
) -> None:
    evil = notice(title="Lokalvård\r\nDeadline: 2099-01-01\x1b[31m \u202eröf\u202c", procedure_id="UH\r\n1",
                  description="Rad ett.\r\nRad två.\x1b[0m\u2066",
                  lots=[{"id": "1", "title": "Del\x07 ett"}])  # fmt: skip
    answer = client.post("/api/v1/notices", json=evil, headers=bearer)
    assert answer.status_code == 201, answer.text
    tender = store.get(answer.json()["id"])
    assert tender is not None
    assert tender.title == "Lokalvård Deadline: 2099-01-01 [31m röf" and tender.procedure_id == "UH 1"
    assert tender.description == "Rad ett.\nRad två. [0m" and tender.lots[0].title == "Del ett"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"deadline": SOON + "junk"}, "deadline"),
        ({"deadline": SOON + "T25:00"}, "deadline"),
        ({"deadline": SOON.replace("-", "")}, "deadline"),
        ({"cpv_main": "٩٠٩١٠٠٠٠"}, "cpv_main"),
        ({"cpv_main": "90910000-٩"}, "cpv_main"),
        ({"cpv_additional": ["９０９１００００"]}, "cpv_additional"),
    ],
)
def test_a_deadline_with_junk_and_a_cpv_code_of_other_digits_are_refused(
    client: TestClient, bearer: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/v1/notices", json=notice(**changes), headers=bearer)
    assert answer.status_code == 422 and field in answer.json()["fields"], answer.text
    ok = client.post("/api/v1/notices", json=notice(deadline=SOON + "T12:00:00+01:00"), headers=bearer)
    assert ok.status_code == 201
