"""The dashboard and the self-service pages in real headless Chromium (Debian's, driven by Selenium),
as a coordinator and a social enterprise would use them; axe-core checks each main page, and
screenshots land in test-artifacts/ for review."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from radar.web.app import create_app
from tenders.config import Settings

from .conftest import outbox
from .helpers.browser import axe, loopback, needs_chromium, serving, shot, wait_for
from .helpers.dashboard_site import PASSWORDS, build

pytestmark = [needs_chromium, pytest.mark.slow]  # slow: end to end, in make test only


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    with loopback() as (listening, base):
        settings = replace(build(tmp_path_factory.mktemp("browser")), base_url=base)
        with serving(create_app(settings), listening):
            yield base, settings


def test_a_coordinator_logs_in_with_the_keyboard_and_reads_dalarna(server: tuple[str, Settings], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _ = server
    browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})  # lets axe-core in; the app allows no script
    browser.get(f"{base}/dashboard/county/SE312?year=2026")
    assert "/login" in browser.current_url  # refused, sent to log in
    assert axe(browser) == []
    shot(browser, "login")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("class") == "skip"  # the skip link comes first
    focused = []
    for _ in range(8):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        focused.append(browser.switch_to.active_element.get_attribute("id") or "")
        if focused[-1] == "password":
            break
    assert focused[-2:] == ["username", "password"]
    browser.find_element(By.ID, "username").send_keys("anna")
    browser.find_element(By.ID, "password").send_keys(PASSWORDS["anna"] + Keys.ENTER)
    wait_for(browser, "Upphandlingar sedda")
    assert browser.current_url.endswith("/dashboard/county/SE312?year=2026")  # back where they were going
    figures = {name: browser.find_element(By.ID, f"fig-{name}").text for name in ("seen", "share", "reserved", "won")}
    assert figures == {"seen": "4", "share": "75 %", "reserved": "2", "won": "2"}
    blind = browser.find_element(By.ID, "blind-spots").text
    assert "Orsa" in blind and "Älvdalen" in blind
    assert "<script>" in browser.find_element(By.ID, "reserved").find_element(By.XPATH, "following::table").text
    assert browser.execute_script("return window.__xss === undefined")
    assert axe(browser) == []
    shot(browser, "county-dalarna")

    browser.get(f"{base}/dashboard?year=2026")
    assert axe(browser) == []
    shot(browser, "overview")
    browser.find_element(By.CSS_SELECTOR, "#tile-SE312").click()
    wait_for(browser, "Blinda fläckar")
    assert "/dashboard/county/SE312" in browser.current_url

    browser.get(f"{base}/dashboard/county/SE313?year=2026")  # Gävleborg: not hers
    assert "Du har inte tillgång till det här länet" in browser.find_element(By.TAG_NAME, "h1").text
    browser.get(f"{base}/dashboard/sources")
    assert axe(browser) == []
    shot(browser, "sources")


def test_an_enterprise_subscribes_confirms_edits_says_not_relevant_and_leaves(
    server: tuple[str, Settings], browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    from notifications.tokens import feedback_token, profile_token
    from tenders.store import open_store

    base, settings = server
    browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
    browser.get(f"{base}/subscribe?lang=sv")
    assert axe(browser) == []
    shot(browser, "subscribe")
    browser.find_element(By.ID, "organisation").send_keys("Leksands Arbetskooperativ")
    browser.find_element(By.ID, "email").send_keys("hej@leksand-koop.example.org")
    browser.find_element(By.ID, "regions").send_keys("Leksand")
    browser.find_element(By.CSS_SELECTOR, "input[name=sectors][value=cleaning]").click()
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait_for(browser, "hej@leksand-koop.example.org")

    mail = outbox(settings.outbox_dir)["hej@leksand-koop.example.org"]
    confirm = re.search(r"http://localhost:\d+/confirm\?token=\S+", mail)
    assert confirm
    browser.get(confirm.group(0))
    browser.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, "bekräftad")
    store = open_store(settings)
    [me] = [r for r in store.signed_up("active") if r.email == "hej@leksand-koop.example.org"]

    browser.get(f"{base}/profile?token={profile_token(settings.secret_key(), me.key)}")
    assert axe(browser) == []
    shot(browser, "profile")
    keywords = browser.find_element(By.ID, "keywords")
    keywords.send_keys("fönsterputs")
    browser.find_element(By.CSS_SELECTOR, "input[name=frequency][value=weekly]").click()
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait_for(browser, "Profilen är sparad")
    assert store.signed_up("active")[0].profile["frequency"] == "weekly"

    browser.get(f"{base}/feedback?token={feedback_token(settings.secret_key(), me.key)}&tender=mora-page:1")
    assert axe(browser) == []
    browser.find_element(By.CSS_SELECTOR, "button[value='0']").click()
    wait_for(browser, "Tack!")
    assert [(f.tender_id, f.relevant) for f in store.feedback(me.key)] == [("mora-page:1", False)]

    browser.get(f"{base}/tenders/mora-page:1")
    assert "Annonsen anger reservation" in browser.page_source  # the reason, in the reader's Swedish
    assert axe(browser) == []
    shot(browser, "tender")

    browser.get(f"{base}/profile?token={profile_token(settings.secret_key(), me.key)}")
    browser.find_element(By.LINK_TEXT, "Avsluta prenumerationen").click()
    browser.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, "avslutad")
    assert store.signed_up("unsubscribed")[0].key == me.key
