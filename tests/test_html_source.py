"""Municipal tender pages read with CSS selectors from sources.yaml: pagination, reruns, a page
that changed its markup, an encoding that lies, a hostile title."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from radar.pipeline import collect
from scrapers.errors import SourceError
from tenders.config import Settings
from tenders.store import open_store

from .fakes.web import site

PAGE_1 = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Upphandlingar</title></head><body>
<ul class="tenders">
  <li class="tender"><h3><a href="/upphandling/101">Lokalvård i Falu kommuns förskolor</a></h3>
      <span class="date">Publicerad 24 november 2026</span><p>Reserverad enligt 4 kap. 18 § LOU.</p></li>
  <li class="tender"><h3><a href="javascript:alert(2)">&lt;script&gt;alert(1)&lt;/script&gt; Snöröjning</a></h3>
      <span class="date">2026-11-25</span></li>
</ul><a class="next" href="/upphandlingar?page=2">Nästa</a></body></html>"""
PAGE_2 = """<html><head><meta charset="iso-8859-1"></head><body><ul class="tenders">
  <li class="tender"><h3><a href="https://other.example.org/u/103">Tvätt för äldreboenden i Gävle</a></h3></li>
</ul></body></html>"""


def pages(first: str = PAGE_1) -> dict[str, tuple[str, bytes]]:
    return {
        "/upphandlingar": ("text/html; charset=utf-8", first.encode()),
        # The header claims UTF-8; the page is Latin-1 and says so itself.
        "/upphandlingar?page=2": ("text/html; charset=utf-8", PAGE_2.encode("iso-8859-1")),
    }


def configure(settings: Settings, tmp_path: Path, base: str, extra: str = "") -> Settings:
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - {name: falun, kind: html, url: '" + base + "/upphandlingar', item: li.tender, title: h3,"
        " date: .date, summary: p, next: a.next, nuts: [SE312], country: SE, min_interval: 0, allow_private: true,"
        " terms_checked: 2026-11-27" + extra + "}\n"
    )
    return replace(settings, sources_file=tmp_path / "sources.yaml")


def test_pages_are_followed_and_each_item_becomes_a_tender(settings: Settings, tmp_path: Path) -> None:
    with site(pages()) as base:
        s = configure(settings, tmp_path, base)
        store = open_store(s)
        first = collect("falun", store, s)
        assert first.new == 3 and first.errors == []
        tenders = {a.tender.title: a for a in store.assessed()}
        falun = tenders["Lokalvård i Falu kommuns förskolor"]
        assert falun.tender.url == f"{base}/upphandling/101"
        assert falun.tender.published == "2026-11-24" and falun.tender.nuts == ["SE312"]
        assert falun.label == "suitable"  # "Reserverad enligt 4 kap. 18 § LOU"
        assert "Tvätt för äldreboenden i Gävle" in tenders  # the Latin-1 page read right despite its header
        hostile = tenders["<script>alert(1)</script> Snöröjning"]  # kept as text; the digest escapes it
        assert hostile.tender.url is None  # a javascript: link is no link to show anyone
        again = collect("falun", store, s)
        assert (again.new, again.skipped) == (0, 2)  # both pages unchanged: fingerprints match


def test_a_page_whose_selector_matches_nothing_is_reported_broken(settings: Settings, tmp_path: Path) -> None:
    redesigned = PAGE_1.replace('class="tender"', 'class="card"')
    with site(pages(redesigned)) as base:
        s = configure(settings, tmp_path, base)
        with pytest.raises(SourceError, match=r"matches nothing .* the page has probably changed"):
            collect("falun", open_store(s), s)
        health = open_store(s).source_health()["falun"]
        assert health.last_run.errors == 1  # recorded, so `tender-radar status` shows it failing


def test_a_page_that_says_it_has_no_tenders_is_not_broken(settings: Settings, tmp_path: Path) -> None:
    empty = "<html><body><p>Just nu finns inga pågående upphandlingar.</p></body></html>"
    with site(pages(empty)) as base:
        s = configure(settings, tmp_path, base, ", empty_text: 'inga pågående upphandlingar'")
        result = collect("falun", open_store(s), s)
        assert result.new == 0 and result.errors == []
