"""The register of social enterprises: read per county, imported by admins only, never dropped by an import
(issue 13, item 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenders.config import Settings
from tenders.store import open_store

from .helpers.dashboard_site import csrf
from .helpers.security_site import DALARNA, GAVLEBORG, build_site, client, log_in


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Settings:
    return build_site(settings, tmp_path)


@pytest.mark.parametrize(("user", "sees", "not_seen"), [("anna", DALARNA, GAVLEBORG), ("gustav", GAVLEBORG, DALARNA)])
def test_a_coordinator_reads_the_register_of_their_counties_only(
    site: Settings, user: str, sees: dict[str, Any], not_seen: dict[str, Any]
) -> None:
    c = client(site)
    assert log_in(c, user) == 303
    for path in ("/dashboard/register", "/dashboard/register?format=csv"):
        text = c.get(path).text
        assert sees["name"] in text and not_seen["name"] not in text


def test_an_admin_reads_every_county(site: Settings) -> None:
    c = client(site)
    assert log_in(c, "root") == 303
    text = c.get("/dashboard/register?format=csv").text
    assert DALARNA["name"] in text and GAVLEBORG["name"] in text


def upload(c: TestClient, csv_text: str) -> int:
    token = csrf(c.get("/dashboard/register").text)
    files = {"file": ("register.csv", csv_text.encode(), "text/csv")}
    status: int = c.post("/dashboard/register", files=files, data={"csrf": token}).status_code
    return status


def test_only_an_admin_imports_the_register(site: Settings) -> None:
    c = client(site)
    assert log_in(c, "anna") == 303
    assert upload(c, "namn;organisationsnummer;kommun\nNy Start (invented);769630-1238;Leksand\n") == 403
    assert {e.org_number for e in open_store(site).register()} == {"5560360793", "7696005557"}


def test_an_import_adds_and_updates_and_keeps_the_other_rows(site: Settings) -> None:
    c = client(site)
    assert log_in(c, "root") == 303
    csv_text = (
        "namn;organisationsnummer;kommun\nNy Start (invented);769630-1238;Leksand\n"
        "Mora Tvätt AB (invented);556036-0793;Mora\n"
    )
    assert upload(c, csv_text) == 200
    register = {e.org_number: e.name for e in open_store(site).register()}
    assert register == {"7696005557": "Gävle Grönt (invented)", "7696301238": "Ny Start (invented)",
                        "5560360793": "Mora Tvätt AB (invented)"}  # fmt: skip
