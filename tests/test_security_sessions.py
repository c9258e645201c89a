"""Coordinator logins: sessions and failed logins kept in the store, logout revokes, unknown names cost
a hash too, the Origin check compares scheme, host and port (issue 13, item 11)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from radar.web.auth import SESSION_COOKIE
from tenders.config import Settings

from .helpers.dashboard_site import csrf
from .helpers.security_site import PASSWORDS, build_site, client, log_in


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Settings:
    return build_site(settings, tmp_path)


def test_logout_revokes_the_session_everywhere(site: Settings) -> None:
    c = client(site)
    assert log_in(c, "anna") == 303
    copied = c.cookies.get(SESSION_COOKIE)
    assert copied
    page = c.get("/dashboard")
    assert c.post("/logout", data={"csrf": csrf(page.text)}, follow_redirects=False).status_code == 303
    thief = client(site)
    thief.cookies.set(SESSION_COOKIE, copied)
    assert thief.get("/dashboard", follow_redirects=False).status_code == 303  # to the login page


def test_failed_logins_are_counted_across_workers_and_restarts(site: Settings) -> None:
    first = client(site)
    for _ in range(5):
        assert log_in(first, "anna", "guess-guess-1") == 401
    second = client(site)  # another worker, or the same after a restart
    assert log_in(second, "anna") == 429


def test_an_unknown_user_name_costs_a_password_hash_too(site: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    c = client(site)
    assert log_in(c, "nobody-here", "guess-guess-1") == 401
    unknown = len(calls)
    calls.clear()
    assert log_in(c, "anna", "guess-guess-1") == 401
    assert unknown == len(calls) == 1


@pytest.mark.parametrize("origin", ["https://localhost:8000", "http://localhost:8001", "http://localhost"])
def test_a_post_from_another_scheme_or_port_is_refused(site: Settings, origin: str) -> None:
    c = client(site)
    page = c.get("/login")
    answer = c.post("/login", data={"username": "anna", "password": PASSWORDS["anna"], "csrf": csrf(page.text)},
                    headers={"origin": origin}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 403
