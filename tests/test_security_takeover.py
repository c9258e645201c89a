"""A sign-up for an address that already has a subscription changes nothing until the owner of the
address confirms (issue 13, item 1)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenders.config import Settings
from tenders.store import open_store

from .conftest import outbox
from .helpers.dashboard_site import csrf
from .helpers.security_site import build_site, client


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Settings:
    return build_site(settings, tmp_path)


VICTIM = {"organisation": "Falu Återbruk (invented)", "email": "victim@example.org", "regions": "Dalarna",
          "sectors": ["recycling"], "min_score": "50", "frequency": "weekly", "language": "sv"}  # fmt: skip


def sign_up(c: TestClient, fields: dict[str, Any]) -> str:
    form = c.get("/subscribe?lang=en")
    answer = c.post("/subscribe?lang=en", data={**fields, "csrf": csrf(form.text)})
    assert answer.status_code == 200
    text: str = answer.text
    return text


def confirm_link(site: Settings, to: str) -> str:
    links = re.findall(r"http://localhost:8000(/confirm\?token=\S+)", outbox(site.outbox_dir).get(to, ""))
    assert links, f"no confirmation link to {to}"
    return str(links[-1])


def test_a_sign_up_for_a_subscribed_address_changes_nothing_until_the_owner_confirms(site: Settings) -> None:
    c = client(site)
    sign_up(c, VICTIM)
    assert c.post(confirm_link(site, "victim@example.org")).status_code == 200
    store = open_store(site)
    [before] = store.signed_up("active")

    attacker = client(site)
    takeover = {**VICTIM, "email": "VICTIM@example.org", "organisation": "Evil Corp", "regions": "Gävleborg",
                "min_score": "0", "frequency": "instant"}  # fmt: skip
    page = sign_up(attacker, takeover)
    fresh = sign_up(client(site), {**VICTIM, "email": "someone.new@example.org"})
    # the page reads the same whether or not the address was subscribed
    assert page.replace("VICTIM@example.org", "X") == fresh.replace("someone.new@example.org", "X")

    [after] = store.signed_up("active")
    assert (after.key, after.email, after.profile) == (before.key, before.email, before.profile)
    # the owner of the address gets a link; only that link applies the change
    link = confirm_link(site, "VICTIM@example.org")
    assert c.post(link).status_code == 200
    [changed] = store.signed_up("active")
    assert changed.profile["organisation"] == "Evil Corp" and changed.email == "victim@example.org"


def test_a_second_sign_up_does_not_replace_a_pending_one(site: Settings) -> None:
    c = client(site)
    sign_up(c, VICTIM)
    first = confirm_link(site, "victim@example.org")
    sign_up(client(site), {**VICTIM, "email": "Victim@example.org", "organisation": "Evil Corp"})
    assert c.post(first).status_code == 200
    [row] = open_store(site).signed_up("active")
    assert row.profile["organisation"] == VICTIM["organisation"]


def test_the_page_says_that_nothing_changes_before_the_link_is_used(site: Settings) -> None:
    page = sign_up(client(site), {**VICTIM, "email": "someone.new@example.org"})
    assert "Nothing starts or changes until the link is used" in page
