"""Buyers publish over the API: tokens, the contract (201/401/403/422), edit and withdraw, and the
notices reaching subscribers through the same matching and exactly-once digests.

The organisation numbers here are invented (Luhn-valid, in no register); so are the buyers.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from matching.subscriptions import parse_subscriber
from notifications.senders.outbox import OutboxSender
from radar.buyers.notices import MAX_BODY, add_buyer, issue_token, revoke_token
from radar.delivery import send_due
from radar.pipeline import match_and_queue
from radar.web.app import create_app
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerStore
from tests.conftest import outbox

ORG_A = "999999-9999"  # invented
ORG_B = "999999-8884"  # invented
SOON = (clock.today() + timedelta(days=30)).isoformat()


def reserved_cleaning(**changes: Any) -> dict[str, Any]:
    notice = {
        "title": "Lokalvård av förskolor (reserverad, påhittat exempel)",
        "description": "Städning av sex förskolor. Upphandlingen är reserverad för arbetsintegrerande sociala företag.",
        "status": "open",
        "deadline": SOON,
        "cpv_main": "90910000",
        "nuts": ["SE312"],
        "reserved_participation": ["res-ws"],
        "estimated_value": 800000,
    }
    notice.update(changes)
    return notice


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    subscribers = tmp_path / "subscribers.yaml"
    subscribers.write_text(
        "subscribers:\n"
        "  - {key: dalarna-instant, organisation: Dala Städ kooperativ (invented), email: a@dala.example.org,\n"
        "     regions: [SE312], frequency: instant, min_score: 0.3}\n"
        "  - {key: stockholm-daily, organisation: Sthlm Service (invented), email: s@sthlm.example.org,\n"
        "     regions: [SE110], frequency: daily, min_score: 0.3}\n",
        encoding="utf-8",
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    return {"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SOURCES": str(sources),
            "TENDER_RADAR_SUBSCRIBERS": str(subscribers), "TENDER_RADAR_SECRET": "test-secret-" + "x" * 20,
            "TENDER_RADAR_WORKERS": "1"}  # fmt: skip


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env)


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings)


@pytest.fixture
def client(settings: Settings, store: Store) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture
def token(store: Store) -> str:
    return add_buyer(store, "Dala Inköp (invented)", ORG_A, ["Dalarna", "Ludvika"]).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def digests_for(settings: Settings, store: Store, key: str) -> str:
    """The text of the messages this run of matching and sending adds for one subscriber."""
    subscribers = [s for s in _subscribers(settings) if s.key == key]
    before = set(settings.outbox_dir.glob("*.eml"))
    match_and_queue(store, subscribers)
    send_due(store, subscribers, OutboxSender(settings.outbox_dir), settings)
    new = settings.outbox_dir / "new"
    new.mkdir(parents=True, exist_ok=True)
    for path in set(settings.outbox_dir.glob("*.eml")) - before:
        (new / path.name).write_bytes(path.read_bytes())
    text = outbox(new).get(subscribers[0].email, "")
    for path in new.iterdir():
        path.unlink()
    return text


def _subscribers(settings: Settings) -> list[Any]:
    import yaml

    doc = yaml.safe_load(settings.subscribers_file.read_text(encoding="utf-8"))
    return [parse_subscriber(e, "test") for e in doc["subscribers"]]


# -- slice 1: organisations and tokens ------------------------------------------------------


def test_tokens_are_kept_only_as_hashes_and_a_revoked_one_stops_working(store: Store, client: TestClient) -> None:
    issued = add_buyer(store, "Dala Inköp (invented)", ORG_A, ["Dalarna"])
    assert issued.org.regions == ("SE312",) and issued.org.org_number == "9999999999"
    other = issue_token(store, "Dala Inköp (invented)")
    assert other.name != issued.name and other.token != issued.token
    with store.session() as session:
        kept = " ".join(str(v) for row in session.execute(text("SELECT * FROM buyer_tokens")) for v in row)
    assert issued.token not in kept and other.token not in kept
    assert client.get("/api/v1/notices", headers=bearer(issued.token)).status_code == 200
    revoke_token(store, issued.name)
    assert client.get("/api/v1/notices", headers=bearer(issued.token)).status_code == 401
    assert client.get("/api/v1/notices", headers=bearer(other.token)).status_code == 200
    used = {t.name: t for t in BuyerStore(store).tokens(issued.org.org_number)}
    assert used[other.name].last_used_at is not None and used[issued.name].revoked_at is not None


def test_a_wrong_org_number_or_place_is_refused_by_name(store: Store) -> None:
    from radar.buyers.notices import BuyerError

    with pytest.raises(BuyerError, match="999999-9998"):
        add_buyer(store, "X (invented)", "999999-9998", ["Dalarna"])
    with pytest.raises(BuyerError, match="Atlantis"):
        add_buyer(store, "X (invented)", ORG_A, ["Atlantis"])
    with pytest.raises(BuyerError, match="DE"):
        add_buyer(store, "X (invented)", ORG_A, ["DE21"])
    assert BuyerStore(store).orgs() == []


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "radar.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, check=False)  # fmt: skip


# -- slice 2: the API contract ------------------------------------------------------------------


def test_publish_answers_201_with_the_id_and_the_assessment(client: TestClient, token: str, store: Store) -> None:
    answer = client.post("/api/v1/notices", json=reserved_cleaning(id="mine:1", source="forged"), headers=bearer(token))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["id"].startswith("buyer:9999999999:") and body["id"] != "mine:1"
    assert body["assessment"]["label"] == "suitable"
    assert any(r["code"] == "reserved_participation" for r in body["assessment"]["reasons"])
    stored = store.get(body["id"])
    assert stored is not None and stored.source == "buyer:9999999999" and stored.buyer_org_id == ORG_A
    assert stored.status == "open" and stored.notice_type == "competition"
    assert [a.action for a in BuyerStore(store).audit_log()] == ["publish", "token"]


def test_a_planned_procurement_with_lots(client: TestClient, token: str, store: Store) -> None:
    lots = [
        {"id": "LOT-1", "title": "Förskolor norr", "nuts": ["SE312"]},
        {"id": "LOT-2", "title": "Förskolor söder", "reserved_participation": ["res-ws"]},
    ]
    planned = reserved_cleaning(status="planned", deadline=None, expected_publication="2027-03-01",
                                procedure_id="UPH-2027-17 (invented)", lots=lots)  # fmt: skip
    answer = client.post("/api/v1/notices", json=planned, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    stored = store.get(answer.json()["id"])
    assert stored is not None and stored.notice_type == "planning" and stored.status == "planned"
    assert stored.expected_publication == "2027-03-01" and [lot.id for lot in stored.lots] == ["LOT-1", "LOT-2"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer trb_not-a-token"}, {"Authorization": "Basic eDp5"}])
def test_without_a_valid_token_401_and_nothing_stored(
    client: TestClient, store: Store, headers: dict[str, str]
) -> None:
    answer = client.post("/api/v1/notices", json=reserved_cleaning(), headers=headers)
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
    assert store.count() == 0


def test_a_place_outside_the_area_is_403(client: TestClient, token: str, store: Store) -> None:
    answer = client.post("/api/v1/notices", json=reserved_cleaning(nuts=["SE312", "SE110"]), headers=bearer(token))
    assert answer.status_code == 403 and "SE110" in answer.json()["fields"]["nuts"]
    lot_elsewhere = reserved_cleaning(lots=[{"id": "1", "nuts": ["SE313"]}])
    assert client.post("/api/v1/notices", json=lot_elsewhere, headers=bearer(token)).status_code == 403
    assert store.count() == 0


def test_without_a_place_the_notice_is_placed_in_the_buyers_area(client: TestClient, token: str, store: Store) -> None:
    answer = client.post("/api/v1/notices", json=reserved_cleaning(nuts=[]), headers=bearer(token))
    stored = store.get(answer.json()["id"])
    assert stored is not None and stored.nuts == ["SE312"]


def test_a_malformed_notice_is_422_naming_each_failing_field(client: TestClient, token: str, store: Store) -> None:
    bad = reserved_cleaning(title="", cpv_main="cleaning", deadlin="2027-01-01", nuts=["Dalarna"],
                            lots=[{"id": "1", "estimated_value": -5}])  # fmt: skip
    answer = client.post("/api/v1/notices", json=bad, headers=bearer(token))
    assert answer.status_code == 422
    fields = answer.json()["fields"]
    assert {"title", "cpv_main", "deadlin", "nuts", "lots.0.estimated_value"} <= set(fields), fields
    planned = client.post("/api/v1/notices", json=reserved_cleaning(status="planned"), headers=bearer(token))
    assert planned.status_code == 422 and "expected_publication" in planned.json()["fields"]
    past = client.post("/api/v1/notices", json=reserved_cleaning(deadline="2020-01-01"), headers=bearer(token))
    assert past.status_code == 422 and "deadline" in past.json()["fields"]
    for body in (b"not json", b"[1, 2]"):
        raw = client.post(
            "/api/v1/notices", content=body, headers={**bearer(token), "Content-Type": "application/json"}
        )
        assert raw.status_code == 422 and "body" in raw.json()["fields"]
    assert store.count() == 0


def test_edit_and_withdraw_reach_those_told_as_updated_and_withdrawn(
    client: TestClient, token: str, store: Store, settings: Settings
) -> None:
    ident = client.post("/api/v1/notices", json=reserved_cleaning(), headers=bearer(token)).json()["id"]
    first = digests_for(settings, store, "dalarna-instant")
    assert "Lokalvård av förskolor" in first

    edited = client.put(f"/api/v1/notices/{ident}", json=reserved_cleaning(title="Lokalvård av förskolor och skolor"),
                        headers=bearer(token))  # fmt: skip
    assert edited.status_code == 200 and edited.json()["changed"] is True
    second = digests_for(settings, store, "dalarna-instant")
    assert "Ändrade sedan förra brevet" in second and "förskolor och skolor" in second

    assert client.delete(f"/api/v1/notices/{ident}", headers=bearer(token)).status_code == 200
    subjects = {path.name for path in settings.outbox_dir.glob("*.eml")}
    third = digests_for(settings, store, "dalarna-instant")
    assert "Återkallade av köparen" in third and "förskolor och skolor" in third
    (withdrawn,) = [p for p in settings.outbox_dir.glob("*.eml") if p.name not in subjects]
    subject = email.message_from_bytes(withdrawn.read_bytes(), policy=email.policy.default)["Subject"]
    assert subject == "Återkallad av köparen: Lokalvård av förskolor och skolor"
    assert digests_for(settings, store, "dalarna-instant") == ""  # told once

    again = client.put(f"/api/v1/notices/{ident}", json=reserved_cleaning(), headers=bearer(token))
    assert again.status_code == 409
    actions = [a.action for a in BuyerStore(store).audit_log()]
    assert actions[:3] == ["withdraw", "edit", "publish"]


def test_a_withdrawn_notice_is_not_news_to_those_never_told(
    client: TestClient, token: str, store: Store, settings: Settings
) -> None:
    ident = client.post("/api/v1/notices", json=reserved_cleaning(), headers=bearer(token)).json()["id"]
    client.delete(f"/api/v1/notices/{ident}", headers=bearer(token))
    assert digests_for(settings, store, "dalarna-instant") == ""


def test_another_buyer_can_neither_see_nor_change_the_notice(client: TestClient, token: str, store: Store) -> None:
    ident = client.post("/api/v1/notices", json=reserved_cleaning(), headers=bearer(token)).json()["id"]
    other = add_buyer(store, "Stockholms Inköp (invented)", ORG_B, ["Stockholm"]).token
    assert client.get(f"/api/v1/notices/{ident}", headers=bearer(other)).status_code == 404
    assert client.put(f"/api/v1/notices/{ident}", json=reserved_cleaning(), headers=bearer(other)).status_code == 404
    assert client.delete(f"/api/v1/notices/{ident}", headers=bearer(other)).status_code == 404
    assert client.get("/api/v1/notices", headers=bearer(other)).json() == []
    kept = store.get(ident)
    assert kept is not None and kept.status == "open"


def test_buyer_add_post_and_run_put_it_in_the_instant_dalarna_subscribers_message(env: dict[str, str]) -> None:
    added = cli(env, "buyer", "add", "Dala Inköp (invented)", "--org-number", ORG_A, "--region", "Dalarna")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("trb_") and " " not in token
    settings = load_settings(env)
    client = TestClient(create_app(settings))
    assert client.post("/api/v1/notices", json=reserved_cleaning(), headers=bearer(token)).status_code == 201
    ran = cli(env, "run")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    mail = outbox(settings.outbox_dir)
    assert "Lokalvård av förskolor" in mail["a@dala.example.org"]
    assert "s@sthlm.example.org" not in mail
    again = cli(env, "run")
    assert again.returncode == 0 and len(list(settings.outbox_dir.glob("*.eml"))) == 1  # exactly once


def test_buyer_token_and_revoke_on_the_command_line(env: dict[str, str]) -> None:
    cli(env, "buyer", "add", "Dala Inköp (invented)", "--org-number", ORG_A, "--region", "SE312")
    issued = cli(env, "buyer", "token", "Dala Inköp (invented)", "--token-name", "ci-server")
    assert issued.returncode == 0 and issued.stdout.strip().splitlines()[-1].startswith("trb_")
    assert cli(env, "buyer", "revoke", "ci-server").returncode == 0
    missing = cli(env, "buyer", "revoke", "no-such-token")
    assert missing.returncode == 1 and "no-such-token" in missing.stderr
    listed = cli(env, "buyer", "list").stdout
    assert "ci-server: revoked" in listed


def test_a_valid_notice_over_64_kb_is_published_and_edited_not_refused_with_413(client: TestClient, token: str) -> None:
    """The longest description allowed (20 000 characters), JSON-escaped as json.dumps does, passes 64 KB;
    the API takes up to MAX_BODY (1 MB), on POST and on PUT to a notice's own address."""
    notice = reserved_cleaning(description="å" * 20_000)
    body = json.dumps(notice).encode()  # "\\u00e5": six bytes a character
    assert 64 * 1024 < len(body) < MAX_BODY
    headers = {**bearer(token), "Content-Type": "application/json"}
    made = client.post("/api/v1/notices", content=body, headers=headers)
    assert made.status_code == 201
    tender_id = made.json()["id"]
    again = json.dumps(reserved_cleaning(description="ä" * 20_000)).encode()
    edited = client.put(f"/api/v1/notices/{tender_id}", content=again, headers=headers)
    assert edited.status_code == 200 and edited.json()["changed"] is True
    too_big = client.put(f"/api/v1/notices/{tender_id}", content=b" " * (MAX_BODY + 1), headers=headers)
    assert too_big.status_code == 413
