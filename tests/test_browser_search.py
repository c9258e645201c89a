"""The open tenders in real headless Chromium: a subscribed enterprise finds a tender by a word on
``/tenders``, watches it, finds its deadline in the calendar feed, and gets the reminder a week
before. axe-core checks the list; a screenshot lands in test-artifacts/.

Organisations, addresses, buyers and notices here are invented.
"""

from __future__ import annotations

import email
import email.policy
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from notifications.senders.outbox import OutboxSender
from notifications.tokens import profile_token
from radar.buyers.reminders import remind
from radar.web.app import create_app
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.results import Verdict
from tenders.store import Store, open_store

from .helpers.browser import axe, loopback, needs_chromium, serving, shot, wait_for

pytestmark = [needs_chromium, pytest.mark.slow]  # slow: end to end, in make test only
KEY, EMAIL = "hedemora-lokalvard", "hej@hedemoralokal.example.org"
SECRET = "browser-search-" + "b" * 24


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Settings, Store]]:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    with loopback() as (listening, base):
        settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": SECRET,
                                  "TENDER_RADAR_BASE_URL": base})  # fmt: skip
        store = open_store(settings)
        profile = {"key": KEY, "organisation": "Hedemora Lokalvård kooperativ (invented)", "email": EMAIL,
                   "regions": ["SE312"], "frequency": "daily", "language": "sv"}  # fmt: skip
        store.sign_up(KEY, EMAIL, profile)
        store.confirm(KEY, "127.0.0.1")
        deadline = (clock.today() + timedelta(days=20)).isoformat()
        wanted = Tender(source="ted", notice_id="720001-2027", notice_type="competition", deadline=deadline,
                        title="Fönsterputs i Hedemoras skolor (invented)", buyer_name="Hedemora kommun",
                        buyer_country="SE", published=clock.today().isoformat())  # fmt: skip
        other = Tender(source="ted", notice_id="720002-2027", notice_type="competition", deadline=deadline,
                       title="Asfaltering Avesta (invented)", buyer_name="Avesta kommun",
                       buyer_country="SE")  # fmt: skip
        reasons = [{"code": "reserved_participation", "field": "reserved", "weight": 3}]
        store.upsert([wanted, other], {wanted.id: Verdict(0.9, "suitable", reasons, "test"),
                                       other.id: Verdict(0.2, "unlikely", [], "test")})  # fmt: skip
        with serving(create_app(settings), listening):
            yield base, settings, store


def test_find_by_a_word_watch_see_it_in_the_calendar_and_get_the_reminder(
    site: tuple[str, Settings, Store], browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    base, settings, store = site
    token = profile_token(SECRET, KEY)
    browser.get(f"{base}/tenders?token={token}")
    browser.find_element(By.ID, "q").send_keys("fönsterputs")
    browser.find_element(By.ID, "search").click()
    wait_for(browser, "Sida 1")
    rows = browser.find_elements(By.CSS_SELECTOR, "#tenders li")
    assert len(rows) == 1 and "Fönsterputs i Hedemoras skolor" in rows[0].text
    assert "Hedemora kommun" in rows[0].text and "Dalarnas län" in rows[0].text  # the buyer and the place by name
    browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})  # lets axe-core in; the app allows no script
    assert axe(browser) == []
    shot(browser, "tenders-search")

    rows[0].find_element(By.CLASS_NAME, "watch").click()
    wait_for(browser, "Bevaka upphandlingen")
    browser.find_element(By.CSS_SELECTOR, "button[value=watch]").click()
    wait_for(browser, "Ni bevakar nu upphandlingen.")
    assert [w.tender_id for w in store.watches(KEY)] == ["ted:720001-2027"]

    browser.get(f"{base}/calendar?token={token}")
    feed = browser.find_element(By.CSS_SELECTOR, "input[readonly]").get_attribute("value")
    with urllib.request.urlopen(feed, timeout=10) as answer:
        calendar = Calendar.from_ical(answer.read())
    events = [e for e in calendar.walk("VEVENT") if "Fönsterputs" in str(e.get("SUMMARY"))]
    assert [e.decoded("DTSTART") for e in events] == [clock.today() + timedelta(days=20)]

    shift = clock.shift().total_seconds() / 86400
    monkeypatch.setenv(clock.SHIFT_ENV, str(shift + 13))  # a week before the deadline
    remind(settings, store, OutboxSender(settings.outbox_dir))
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             for p in sorted(settings.outbox_dir.glob("*.eml"))]  # fmt: skip
    assert [(str(m["To"]), str(m["Subject"])) for m in mails] == [
        (EMAIL, "Sista anbudsdag om 7 dagar: Fönsterputs i Hedemoras skolor (invented)")
    ]
