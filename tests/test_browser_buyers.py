"""Buyers and enterprises in real headless Chromium: a buyer logs in, publishes and imports a plan;
an enterprise opens its digest's link and shows interest; the buyer sees it. axe-core checks each
page; screenshots land in test-artifacts/.

Organisations, people, addresses and numbers here are invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notifications.senders.outbox import OutboxSender
from radar.buyers.notices import add_buyer
from radar.delivery import send_due
from radar.pipeline import match_and_queue
from radar.subscribers import active_subscribers
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders.config import Settings, load_settings
from tenders.store import open_store
from tenders.store.buyers import BuyerStore

from .conftest import outbox
from .helpers.browser import axe, loopback, needs_chromium, serving, shot, wait_for
from .helpers.plans import workbook

pytestmark = [needs_chromium, pytest.mark.slow]  # slow: end to end, in make test only
PASSWORD = "dala-buyer-pass-1"
ENTERPRISE = "hej@dalastad.example.org"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(
        f"subscribers:\n  - {{key: dala-stad, organisation: Dala Städ kooperativ (invented), email: {ENTERPRISE},"
        " org_number: '999999-7779', regions: [SE312], frequency: instant, min_score: 0.3}\n",
        encoding="utf-8",
    )
    with loopback() as (listening, base):
        settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "browser-" + "b" * 24,
                                  "TENDER_RADAR_BASE_URL": base})  # fmt: skip
        store = open_store(settings)
        org = add_buyer(store, "Dala Inköp (invented)", "999999-9999", ["Dalarna"], "upphandling@dala.example.org").org
        store.save_coordinator("dala", hash_password(PASSWORD), [])
        BuyerStore(store).add_user("dala", org.org_number)
        with serving(create_app(settings), listening):
            yield base, settings


def test_a_buyer_publishes_imports_a_plan_and_sees_an_enterprises_interest(
    site: tuple[str, Settings],
    browser: Any,
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, settings = site
    browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})  # lets axe-core in; the app allows no script
    browser.get(f"{base}/buyer")
    assert "/login" in browser.current_url
    browser.find_element(By.ID, "username").send_keys("dala")
    browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    wait_for(browser, "Upphandlingar från Dala Inköp")
    assert axe(browser) == []

    browser.find_element(By.LINK_TEXT, "Publicera en upphandling").click()
    wait_for(browser, "Sista anbudsdag")
    assert axe(browser) == []
    shot(browser, "buyer-publish")
    browser.find_element(By.ID, "title").send_keys("Lokalvård av badhuset (invented)")
    browser.find_element(By.ID, "deadline").send_keys("01012030")  # the date field takes the digits in order
    browser.find_element(By.ID, "cpv_main").send_keys("90910000")
    browser.find_element(By.CSS_SELECTOR, "input[name=reserved]").click()
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait_for(browser, "Bedömning")
    assert axe(browser) == []
    store = open_store(settings)
    [notice] = BuyerStore(store).notices()
    tender = store.get(notice.tender_id)
    assert tender is not None and tender.reserved_participation == ["res-ws"] and tender.deadline == "2030-01-01"

    browser.get(f"{base}/buyer/plan")
    assert axe(browser) == []
    browser.find_element(By.ID, "file").send_keys(str(workbook(tmp_path / "plan.xlsx")))
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait_for(browser, "Importera 2 rader")
    assert axe(browser) == []
    shot(browser, "buyer-plan-preview")
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(browser, "Nya: 2,")
    assert len(BuyerStore(store).notices()) == 3

    # The enterprise gets the reserved contract in its digest and raises its hand from the link.
    subscribers = active_subscribers(settings, store)
    match_and_queue(store, subscribers)
    send_due(store, subscribers, OutboxSender(settings.outbox_dir), settings)
    link = re.search(
        rf"http://localhost:\d+/interest\?\S+tender={notice.tender_id}\S*", outbox(settings.outbox_dir)[ENTERPRISE]
    )
    assert link
    browser.delete_all_cookies()
    browser.get(link.group(0))
    wait_for(browser, "Är ni intresserade?")
    assert axe(browser) == []
    shot(browser, "interest")
    browser.find_element(By.ID, "note").send_keys("Vi städar två badhus i dag")
    browser.find_element(By.ID, "capacity").send_keys("6 personer")
    browser.find_element(By.CSS_SELECTOR, "input[name=share_contact]").click()
    browser.find_element(By.CSS_SELECTOR, "button[value=raise]").click()
    wait_for(browser, "Köparen ser nu ert intresse")

    # The buyer sees it.
    browser.get(f"{base}/login?next=/buyer/notices/{notice.tender_id}")
    browser.find_element(By.ID, "username").send_keys("dala")
    browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    wait_for(browser, "Intresse (1)")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Dala Städ kooperativ (invented)" in page and ENTERPRISE in page and "6 personer" in page
    assert axe(browser) == []
    shot(browser, "buyer-interest")
