"""The HTML digest opened in headless Chromium: what the browser computed, not the strings we wrote.

At a phone's width and at the 600 px of a mail client's reading pane, nothing runs off the side,
every tender's block has a box of its own below the previous one, its title is visible, and the
fonts have loaded. A screenshot per language lands in test-artifacts/ for review.
"""

from __future__ import annotations

from typing import Any

import pytest

from matching.classify import classify
from matching.subscriptions import Subscriber
from notifications.digest import render_digest
from scrapers.notices import iter_path
from tenders.model import Tender
from tenders.store import Assessed

from .conftest import PROJECT
from .helpers.browser import CHROMEDRIVER, CHROMIUM, chromium

pytestmark = pytest.mark.slow  # end to end, in make test only

ARTIFACTS = PROJECT / "test-artifacts"
REASON = {"sv": "Reserverat deltagande", "en": "Reserved participation"}

MEASURE = """
const done = arguments[arguments.length - 1];
document.fonts.ready.then(() => {
  const root = document.documentElement;
  const blocks = [...document.querySelectorAll('h2')]
    .filter(h => h.closest('td') && h.closest('td').querySelector('table'))
    .map(h => h.closest('td'));
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const clipped = [...document.querySelectorAll('td, p, li, a, h1, h2')]
    .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
    .map(el => el.tagName);
  done({
    fonts: document.fonts.status,
    family: getComputedStyle(document.body).fontFamily,
    scrollWidth: root.scrollWidth, innerWidth: window.innerWidth,
    blocks: blocks.map(box),
    titles: blocks.map(b => box(b.querySelector('h2'))),
    titleText: blocks.map(b => b.querySelector('h2').innerText),
    clipped: clipped,
    text: document.body.innerText,
  });
});
"""


def items() -> list[Assessed]:
    found = []
    for tender in iter_path(PROJECT / "data" / "samples"):
        if isinstance(tender, Tender):
            a = classify(tender)
            if a.label != "unlikely":
                found.append(Assessed(tender, a.score, a.label, a.reasons, tender.content_hash()))
    return found


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None, reason="Debian's chromium is installed by `make test` (make system-deps)"
)
@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("width", [360, 600])
def test_the_digest_lays_out_in_a_real_browser(language: str, width: int) -> None:
    sub = Subscriber(key="k", organisation="Falu Återbruk ekonomisk förening", email="k@example.org", language=language)
    shown = items()
    digest = render_digest(sub, shown, "https://radar.example.org/unsubscribe?token=t")
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / f"digest-{language}-{width}.html"
    page.write_text(digest.html, encoding="utf-8")
    with chromium(width, 1200, language) as browser:
        browser.set_script_timeout(30)
        metrics = {"width": width, "height": 1200, "deviceScaleFactor": 1, "mobile": width < 500}
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)  # a window can't be that narrow
        browser.get(page.as_uri())
        seen: dict[str, Any] = browser.execute_async_script(MEASURE)
        browser.save_screenshot(str(ARTIFACTS / f"digest-{language}-{width}.png"))
    assert seen["innerWidth"] == width
    assert seen["fonts"] == "loaded" and seen["family"]
    assert seen["scrollWidth"] <= seen["innerWidth"], "the digest runs off the side of the window"
    assert seen["clipped"] == []
    assert len(seen["blocks"]) == len(shown)  # one block per tender, each with its own box
    for (left, top, w, h), (_, title_top, title_w, title_h) in zip(seen["blocks"], seen["titles"], strict=True):
        assert (
            left >= 0 and left + w <= seen["innerWidth"] and h > 40
        )  # inside the window, tall enough to hold its lines
        assert top <= title_top and title_w > 0 and title_h >= 16  # the title is drawn, inside its block
    tops = [top for _, top, _, _ in seen["blocks"]]
    bottoms = [top + h for _, top, _, h in seen["blocks"]]
    assert all(b <= t + 1 for b, t in zip(bottoms, tops[1:], strict=False)), "tender blocks overlap"
    assert {t.tender.title for t in shown} == set(seen["titleText"])
    assert REASON[language] in seen["text"] and REASON["en" if language == "sv" else "sv"] not in seen["text"]
