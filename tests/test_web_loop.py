"""No visitor waits for another's slow work (issue 25, item 5): a login being hashed and a slow
Airflow behind a buyer's publish leave the public pages answering; failed logins are limited per
client as well as per name.

Each slow part is stood in for by one that waits until the test lets it go, so the tests see the
order of events, not timings. Names, numbers and passwords here are invented.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

import radar.web.context
import radar.web.dashboard
from radar.buyers.events import AirflowEvents
from radar.buyers.notices import add_buyer
from radar.web.app import create_app
from radar.web.auth import CLIENT_FAILURES_ALLOWED, FAILURES_ALLOWED, hash_password
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.store import open_store

PASSWORD = "dalarna-pass-123"
SOON = (clock.today() + timedelta(days=30)).isoformat()
NOTICE = {"title": "Lokalvård (reserverad, invented)", "status": "open", "nuts": ["SE312"], "deadline": SOON,
          "reserved_participation": ["res-ws"]}  # fmt: skip
GUARD = 10.0  # seconds before a test gives up waiting: only so that a blocked loop fails instead of hanging


@pytest.fixture
def site(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
    settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "loop-secret-" + "l" * 20,
                              "TENDER_RADAR_AIRFLOW_URL": "http://127.0.0.1:9"})  # fmt: skip
    open_store(settings).save_coordinator("anna", hash_password(PASSWORD), ["SE312"])
    return settings


def login(client: TestClient, username: str, password: str) -> int:
    page = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert found
    answer = client.post("/login", data={"username": username, "password": password, "csrf": found.group(1)},
                         follow_redirects=False)  # fmt: skip
    return int(answer.status_code)


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(work()), daemon=True)
    thread.start()
    return thread, results


@pytest.fixture
def gate() -> Iterator[tuple[threading.Event, threading.Event]]:
    """(started, release): the slow part sets ``started`` and waits for ``release`` (the test's end at the latest)."""
    started, release = threading.Event(), threading.Event()
    yield started, release
    release.set()


def test_while_a_login_is_being_hashed_the_sign_up_page_is_answered(
    site: Settings, monkeypatch: pytest.MonkeyPatch, gate: tuple[threading.Event, threading.Event]
) -> None:
    started, release = gate

    def slow_hash(password: str, stored: str) -> bool:  # scrypt, as slow as the test wants
        started.set()
        release.wait(GUARD * 3)
        return False

    monkeypatch.setattr(radar.web.dashboard, "verify_password", slow_hash)
    with TestClient(create_app(site), base_url="http://localhost:8000") as client:
        hashing, _ = in_thread(lambda: login(client, "someone-new", "a-wrong-password"))
        assert started.wait(GUARD)
        asking, answers = in_thread(lambda: client.get("/subscribe").status_code)
        asking.join(GUARD)
        answered_while_hashing = list(answers)
        release.set()
        hashing.join(GUARD)
        asking.join(GUARD)
    assert answered_while_hashing == [200]  # the hash used to run on the event loop: the page waited for it


def test_failed_logins_from_one_client_are_limited_whatever_the_names(site: Settings) -> None:
    assert CLIENT_FAILURES_ALLOWED > FAILURES_ALLOWED  # an office behind one address has room for typos
    attacker = TestClient(create_app(site), base_url="http://localhost:8000", client=("192.0.2.7", 50000))
    answers = [login(attacker, f"guess-{n}", "a-wrong-password") for n in range(CLIENT_FAILURES_ALLOWED)]
    assert answers == [401] * CLIENT_FAILURES_ALLOWED  # a fresh name each time: no name reached its limit
    assert login(attacker, "another-fresh-name", "a-wrong-password") == 429
    assert login(attacker, "anna", PASSWORD) == 429  # this client is stopped, even with a right password
    colleague = TestClient(create_app(site), base_url="http://localhost:8000", client=("198.51.100.4", 50000))
    assert login(colleague, "anna", PASSWORD) == 303  # the name itself is not locked: another address logs in


def test_a_stuck_airflow_holds_neither_other_publishes_nor_the_public_pages(
    site: Settings, monkeypatch: pytest.MonkeyPatch, gate: tuple[threading.Event, threading.Event]
) -> None:
    """A pool of 4 worker threads stands in for the 40 of a real server: 5 publishes, each told to
    Airflow after its answer, used to wait for the one talking to a stuck Airflow, and then pages
    found no thread."""
    started, release = gate
    token = add_buyer(open_store(site), "Dala Inköp (invented)", "999999-9999", ["Dalarna"]).token

    def stuck_airflow(self: AirflowEvents, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        started.set()
        release.wait(GUARD * 3)
        return {"assets": [{"uri": "tenders://collected", "id": 7}]}

    monkeypatch.setattr(AirflowEvents, "_call", stuck_airflow)

    def publish(n: int) -> int:
        answer = client.post("/api/v1/notices", json={**NOTICE, "title": f"Lokalvård {n} (invented)"},
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        return int(answer.status_code)

    def threads(n: int) -> None:  # run on the event loop's thread, where the pool's limiter lives
        anyio.to_thread.current_default_thread_limiter().total_tokens = n

    with TestClient(create_app(site), base_url="http://localhost:8000") as client:
        client.portal.call(threads, 4)  # type: ignore[union-attr]  # set inside the with block
        first, _ = in_thread(lambda: publish(0))
        assert started.wait(GUARD)
        others = [in_thread(lambda n=n: publish(n)) for n in range(1, 6)]  # type: ignore[misc]
        for thread, _ in others:
            thread.join(GUARD / 5)
        asking, answers = in_thread(lambda: client.get("/subscribe").status_code)
        asking.join(GUARD)
        answered_while_stuck = list(answers), [r for _, r in others]
        release.set()
        first.join(GUARD)
        client.portal.call(threads, 40)  # type: ignore[union-attr]
    assert answered_while_stuck == ([200], [[201]] * 5)


def test_the_first_requests_at_once_open_and_migrate_the_store_once(
    site: Settings, monkeypatch: pytest.MonkeyPatch, gate: tuple[threading.Event, threading.Event]
) -> None:
    """Pages and posts run on worker threads: two first requests used to migrate the store twice at once."""
    started, release = gate
    opened: list[str] = []

    def slow_open(settings: Settings) -> Any:
        opened.append(threading.current_thread().name)
        started.set()
        release.wait(GUARD)
        return open_store(settings)

    monkeypatch.setattr(radar.web.context, "open_store", slow_open)
    ctx = radar.web.context.Context(site)
    first, _ = in_thread(lambda: ctx.store)
    assert started.wait(GUARD)
    second, _ = in_thread(lambda: ctx.store)
    second.join(1.0)  # time for it to open the store too, if it would
    release.set()
    first.join(GUARD)
    second.join(GUARD)
    assert len(opened) == 1


def test_no_route_but_the_login_is_async(site: Settings) -> None:
    """An ``async def`` route runs on the event loop, with every other visitor waiting for its store
    calls, parsing and rendering; routes are plain ``def`` (FastAPI runs them in the thread pool)
    and take their body through ``PostedForm``/``PostedBody``. The login awaits its hash on threads
    of its own and hands the rest to the pool."""
    from fastapi.routing import APIRoute

    asynchronous = {
        (route.path, *sorted(route.methods))
        for route in create_app(site).routes
        if isinstance(route, APIRoute) and inspect.iscoroutinefunction(route.endpoint)
    }
    assert asynchronous == {("/login", "POST")}
