"""The HTML digest opened in headless Chromium, saved as a PNG per language for review.

Screenshots land in test-artifacts/ (kept by CI as artifacts; look at them after a template change).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from matching.classify import classify
from matching.subscriptions import Subscriber
from notifications.digest import render_digest
from scrapers.notices import iter_path
from tenders.model import Tender
from tenders.store import Assessed

from .conftest import PROJECT

ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by `make test` (make system-deps)")
@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_digest_renders_in_a_real_browser(language: str) -> None:
    assert CHROMIUM is not None
    items = []
    for tender in iter_path(PROJECT / "data" / "samples"):
        if isinstance(tender, Tender):
            a = classify(tender)
            if a.label != "unlikely":
                items.append(Assessed(tender, a.score, a.label, a.reasons, tender.content_hash()))
    sub = Subscriber(key="k", organisation="Falu Återbruk ekonomisk förening", email="k@example.org", language=language)
    digest = render_digest(sub, items, "https://radar.example.org/unsubscribe?token=t")
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / f"digest-{language}.html"
    page.write_text(digest.html, encoding="utf-8")
    shot = ARTIFACTS / f"digest-{language}.png"
    shot.unlink(missing_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={ARTIFACTS / '.chromium'}"]  # fmt: skip
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=720,2400", page.as_uri()],
                   capture_output=True, timeout=120, check=True)  # fmt: skip
    assert png_size(shot) == (720, 2400)
    assert shot.stat().st_size > 30_000  # a rendered page, not a blank one
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert "EPS Paul Guiraud" in dom.stdout and (
        "Reserverat deltagande" in dom.stdout or "Reserved participation" in dom.stdout
    )
