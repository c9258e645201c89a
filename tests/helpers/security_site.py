"""A site for the account tests of issue 13: three coordinators (Dalarna, Gävleborg, an admin) and a
register with one invented enterprise in each of the two counties."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders.config import Settings
from tenders.store import open_store

from .dashboard_site import csrf

PASSWORDS = {"anna": "dalarna-pass-123", "gustav": "gavleborg-pass-1", "root": "admin-pass-12345"}
# Invented enterprises; the organisation numbers only have to pass the Luhn check.
DALARNA = {"org_number": "5560360793", "name": "Mora Tvätt (invented)", "municipality": "Mora", "county": "SE312",
           "sectors": []}  # fmt: skip
GAVLEBORG = {"org_number": "7696005557", "name": "Gävle Grönt (invented)", "municipality": "Gävle",
             "county": "SE313", "sectors": []}  # fmt: skip


def build_site(settings: Settings, tmp_path: Path) -> Settings:
    (tmp_path / "nobody.yaml").write_text("subscribers: []\n")
    site = replace(settings, secret="s3cret", subscribers_file=tmp_path / "nobody.yaml")
    store = open_store(site)
    store.save_coordinator("anna", hash_password(PASSWORDS["anna"]), ["SE312"])
    store.save_coordinator("gustav", hash_password(PASSWORDS["gustav"]), ["SE313"], language="en")
    store.save_coordinator("root", hash_password(PASSWORDS["root"]), [], is_admin=True, language="en")
    store.replace_register([DALARNA, GAVLEBORG])
    return site


def client(site: Settings) -> TestClient:
    return TestClient(create_app(site), base_url="http://localhost:8000")


def log_in(c: TestClient, user: str, password: str | None = None) -> int:
    page = c.get("/login")
    answer = c.post("/login", data={"username": user, "password": password or PASSWORDS[user], "csrf": csrf(page.text)},
                    follow_redirects=False)  # fmt: skip
    status: int = answer.status_code
    return status
