"""A populated site for the dashboard tests: the demo sources run once, the register imported,
a coordinator for Dalarna, one for Gävleborg and an admin, a tender with a hostile title."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from radar.judging import judge
from radar.pipeline import run_once
from radar.reports.register import parse_register
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.store import open_store

PROJECT = Path(__file__).resolve().parent.parent.parent
PASSWORDS = {"anna": "dalarna-pass-123", "gustav": "gavleborg-pass-1", "root": "admin-pass-12345"}
HOSTILE = "<script>alert('x')</script> Städning av Mora kommuns skolor"


def build(home: Path) -> Settings:
    settings = load_settings({
        "TENDER_RADAR_HOME": str(home),
        "TENDER_RADAR_SOURCES": str(PROJECT / "sources.yaml"),
        "TENDER_RADAR_SUBSCRIBERS": str(PROJECT / "subscribers.yaml"),
        "TENDER_RADAR_INCLUDE_EXPIRED": "1",
        "TENDER_RADAR_BASE_URL": "http://localhost:8000",
    })  # fmt: skip
    run_once(settings)
    store = open_store(settings)
    register = (PROJECT / "data/samples/register/social-enterprises.csv").read_text(encoding="utf-8")
    store.replace_register(parse_register(register))
    hostile = Tender(source="mora-page", notice_id="1", title=HOSTILE, buyer_name="Mora kommun", nuts=["SE312"],
                     published="2026-05-04", notice_type="competition", language="sv",
                     description="Upphandlingen är reserverad enligt 4 kap. 18 § LOU.")  # fmt: skip
    store.upsert([hostile], {hostile.id: judge(hostile)})
    store.save_coordinator("anna", hash_password(PASSWORDS["anna"]), ["SE312"])
    store.save_coordinator("gustav", hash_password(PASSWORDS["gustav"]), ["SE313"], language="en")
    store.save_coordinator("root", hash_password(PASSWORDS["root"]), [], is_admin=True, language="en")
    return settings


def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url="http://localhost:8000")


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def login(c: TestClient, user: str) -> None:
    page = c.get("/login")
    response = c.post("/login", data={"username": user, "password": PASSWORDS[user], "csrf": csrf(page.text)},
                      follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
