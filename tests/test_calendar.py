"""A subscriber's calendar feed (RFC 5545): the deadlines of the tenders it watches and the dates
its watched planned procurements are expected to be advertised, at an address signed for that
alone, which the profile page links and can replace (the old address then stops working).

Organisations, addresses, numbers and notices here are invented.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from notifications.tokens import profile_token
from radar.buyers.notices import add_buyer, publish
from radar.watching import watch
from radar.web.app import create_app
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.store import Store, open_store

from .helpers.dashboard_site import csrf

KEY, EMAIL = "orsa-gront", "info@orsa-gront.example.org"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "calendar-secret-" + "c" * 20,
                          "TENDER_RADAR_BASE_URL": "http://localhost:8000"})  # fmt: skip


@pytest.fixture
def store(settings: Settings) -> Store:
    store = open_store(settings)
    profile = {"key": KEY, "organisation": "Orsa Grönt Arbete (invented)", "email": EMAIL, "regions": ["SE312"],
               "sectors": ["grounds"], "frequency": "daily", "language": "sv"}  # fmt: skip
    store.sign_up(KEY, EMAIL, profile)
    store.confirm(KEY, "127.0.0.1")
    return store


@pytest.fixture
def watched(store: Store) -> tuple[date, date]:
    """A TED tender and a buyer's planned procurement, both watched: (the deadline, the planned date)."""
    deadline = clock.today() + timedelta(days=20)
    tender = Tender(source="ted", notice_id="710001-2027", notice_type="competition",
                    title="Skötsel av grönytor Orsa (invented)", buyer_name="Orsa kommun (invented)",
                    deadline=deadline.isoformat(), published=clock.today().isoformat())  # fmt: skip
    store.upsert([tender])
    expected = clock.today() + timedelta(days=60)
    org = add_buyer(store, "Dala Inköp (invented)", "999999-9999", ["Dalarna"]).org
    body = {"title": "Snöröjning Orsa (invented)", "status": "planned", "procedure_id": "UH-2027-007",
            "expected_publication": expected.isoformat(), "cpv_main": "90620000"}  # fmt: skip
    planned = publish(store, org, body, "token:test", base_url="http://localhost:8000").tender
    watch(store, KEY, tender.id)
    watch(store, KEY, planned.id)
    return deadline, expected


def feed_of(page: str) -> str:
    found = re.search(r'value="http://localhost:8000(/calendar\.ics\?token=[^"]+)"', page)
    assert found, page
    return found.group(1)


def test_the_feed_holds_the_watched_deadline_and_the_planned_date(
    settings: Settings, store: Store, watched: tuple[date, date]
) -> None:
    deadline, expected = watched
    c = TestClient(create_app(settings))
    profile = c.get(f"/profile?token={profile_token(settings.secret_key(), KEY)}")
    found = re.search(r'href="(/calendar\?[^"]+)"', profile.text)
    assert profile.status_code == 200 and found, profile.text  # the profile page links the calendar
    page = c.get(found.group(1).replace("&amp;", "&"))
    assert page.status_code == 200 and "Skötsel av grönytor Orsa" in page.text and "webcal://" in page.text
    answer = c.get(feed_of(page.text))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(answer.content)
    events = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in cal.walk("VEVENT")}
    assert events == {
        "Sista anbudsdag: Skötsel av grönytor Orsa (invented)": deadline,
        "Väntas annonseras: Snöröjning Orsa (invented)": expected,
    }
    assert all(e.get("UID") and e.get("DTSTAMP") for e in cal.walk("VEVENT"))


def test_a_replaced_calendar_address_is_refused_and_the_new_one_works(
    settings: Settings, store: Store, watched: tuple[date, date]
) -> None:
    c = TestClient(create_app(settings))
    url = f"/calendar?token={profile_token(settings.secret_key(), KEY)}"
    page = c.get(url)
    old = feed_of(page.text)
    assert c.get(old).status_code == 200
    assert c.post(url, data={"csrf": "forged", "action": "revoke"}).status_code == 403
    assert c.get(old).status_code == 200  # a forged post replaced nothing
    replaced = c.post(url, data={"csrf": csrf(page.text), "action": "revoke"})
    assert replaced.status_code == 200 and "Den gamla adressen fungerar inte längre" in replaced.text
    new = feed_of(replaced.text)
    assert new != old
    assert c.get(old).status_code == 403
    assert c.get(new).status_code == 200


def test_the_calendar_address_opens_nothing_else(settings: Settings, store: Store, watched: tuple[date, date]) -> None:
    c = TestClient(create_app(settings))
    feed = feed_of(c.get(f"/calendar?token={profile_token(settings.secret_key(), KEY)}").text)
    token = feed.split("token=", 1)[1]
    profile = c.get(f"/profile?token={token}")
    assert profile.status_code == 400 and 'name="regions"' not in profile.text
    assert c.get(f"/calendar?token={token}").status_code == 400  # nor the page that replaces the address
    unsubscribe = c.get(f"/unsubscribe?token={token}")
    assert unsubscribe.status_code >= 400 and "Orsa Grönt" not in unsubscribe.text
    assert store.signed_up("active")[0].key == KEY
    assert c.get("/calendar.ics?token=" + token.replace("calendar.", "profile.", 1)).status_code == 403
