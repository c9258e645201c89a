"""The fetcher against web sites that behave like real ones (and hostile ones): conditional GET,
redirects, robots.txt with rules, oversized and dripping bodies, 5xx then 200, private addresses.
Each test counts the requests the site received, so "tried once" and "tried again" are facts."""

from __future__ import annotations

import ipaddress
import json
import socket
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from radar.health import freshness
from radar.pipeline import collect, run_once
from scrapers.errors import ParseError, SourceError
from scrapers.http import PoliteClient
from scrapers.sources import load_sources
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.store import open_store

from .conftest import PROJECT
from .fakes.web import fake_site

FEED = (PROJECT / "data/samples/feeds/gavleborg.xml").read_bytes()
ATOM = "application/atom+xml"


def feed_source(settings: Settings, tmp_path: Path, url: str, **options: Any) -> Settings:
    entry = {"name": "g", "kind": "feed", "url": url, "min_interval": 0, "allow_private": True, "backoff": 0, **options}
    (tmp_path / "s.yaml").write_text("sources:\n  - " + json.dumps(entry) + "\n")
    return replace(settings, sources_file=tmp_path / "s.yaml")


def client(**options: Any) -> PoliteClient:
    defaults: dict[str, Any] = {"contact": "radar-tests@example.org", "min_interval": 0, "allow_private": True}
    return PoliteClient("test", **{**defaults, "backoff": 0, **options})


def test_a_feed_is_asked_for_with_its_etag_and_a_304_reads_nothing(settings: Settings, tmp_path: Path) -> None:
    with fake_site({"/feed": (ATOM, FEED)}) as site:
        s = feed_source(settings, tmp_path, f"{site.url}/feed")
        store = open_store(s)
        assert collect("g", store, s).new == 2
        again = collect("g", store, s)
        (_, headers), (_, conditional) = [r for r in site.requests if r[0] == "/feed"]
        assert "if-none-match" not in headers and conditional["if-none-match"].startswith('"')
        assert (again.new, again.unchanged, again.skipped, again.errors) == (0, 0, 1, [])  # the 304: nothing read


def test_5xx_is_tried_again_and_then_read_but_a_404_is_tried_once(settings: Settings, tmp_path: Path) -> None:
    with fake_site({"/feed": (ATOM, FEED)}, failures={"/feed": [503, 502]}) as site:
        s = feed_source(settings, tmp_path, f"{site.url}/feed", attempts=3)
        assert collect("g", open_store(s), s).new == 2
        assert site.hits("/feed") == 3
    with fake_site({}) as site:
        with pytest.raises(SourceError, match="answered 404") as err:
            client(attempts=4).get(f"{site.url}/gone")
        assert site.hits("/gone") == 1 and not err.value.retryable
    with fake_site({}, failures={"/feed": [503] * 9}) as site:
        with pytest.raises(SourceError, match=r"answered 503 \(3 tries\)") as err:
            client(attempts=3).get(f"{site.url}/feed")
        assert site.hits("/feed") == 3 and err.value.retryable


def test_retry_after_beyond_the_cap_is_not_slept(tmp_path: Path) -> None:
    slept: list[float] = []
    with fake_site({"/feed": (ATOM, FEED)}, failures={"/feed": [429, 429]}, retry_after="99999999") as site:
        with pytest.raises(SourceError, match="asked to wait 99999999 s") as err:
            client(sleep=slept.append).get(f"{site.url}/feed")
        assert slept == [] and site.hits("/feed") == 1 and err.value.retryable
    with fake_site({"/feed": (ATOM, FEED)}, failures={"/feed": [429]}, retry_after="2") as site:
        assert client(sleep=slept.append).get(f"{site.url}/feed").status == 200
        assert slept == [2.0]


def test_a_body_over_the_size_cap_is_refused(settings: Settings, tmp_path: Path) -> None:
    big = FEED + b"<!--" + b"x" * 200_000 + b"-->"
    with fake_site({"/feed": (ATOM, big)}) as site:
        s = feed_source(settings, tmp_path, f"{site.url}/feed", max_bytes=100_000)
        with pytest.raises(SourceError, match="larger than 100000 bytes"):
            collect("g", open_store(s), s)
        assert site.hits("/feed") == 1  # a retry would bring the same body


def test_a_server_dripping_bytes_is_dropped_at_the_deadline(tmp_path: Path) -> None:
    slow = b"<rss>" + b" " * 400 + b"</rss>"
    with (
        fake_site({"/feed": (ATOM, slow)}, drip={"/feed": 0.05}) as site,
        pytest.raises(SourceError, match="took longer than 1 s in all"),
    ):
        client(timeout=5, deadline=1, attempts=1).get(f"{site.url}/feed")
    with (
        fake_site({"/feed": (ATOM, FEED)}, drip_headers={"/feed": 0.05}) as site,
        pytest.raises(SourceError, match="took longer than 1 s in all"),
    ):
        client(timeout=5, deadline=1, attempts=1).get(f"{site.url}/feed")  # each byte within the read timeout


def test_loopback_and_private_addresses_are_refused_unless_the_source_allows_them(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_site({"/feed": (ATOM, FEED)}) as site:
        s = feed_source(settings, tmp_path, f"{site.url}/feed", allow_private=False)
        with pytest.raises(SourceError, match="private, loopback or link-local"):
            collect("g", open_store(s), s)
        assert site.requests == []  # not even robots.txt was asked for
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]/"):
        with pytest.raises(SourceError, match="private, loopback or link-local"):
            client(allow_private=False).get(url)


def test_every_redirect_is_checked_again_scheme_address_and_robots(tmp_path: Path) -> None:
    redirects = {"/ftp": "ftp://127.0.0.1/x", "/hidden": "/secret/feed", "/moved": "/feed"}
    pages = {"/secret/feed": (ATOM, FEED), "/feed": (ATOM, FEED)}
    with fake_site(pages, robots="User-agent: *\nDisallow: /secret/\n", redirects=redirects) as site:
        assert client().get(f"{site.url}/moved").url == f"{site.url}/feed"  # an ordinary redirect is followed
        with pytest.raises(SourceError, match="only http and https"):
            client().get(f"{site.url}/ftp")
        with pytest.raises(SourceError, match=r"robots\.txt .* does not allow .*/secret/feed"):
            client().get(f"{site.url}/hidden")
        assert site.hits("/secret/feed") == 0
        with fake_site({"/x": (ATOM, FEED)}, robots="User-agent: *\nDisallow: /\n") as other:
            site.redirects["/away"] = f"{other.url}/x"
            with pytest.raises(SourceError, match=r"robots\.txt .* does not allow"):
                client().get(f"{site.url}/away")
            assert other.hits("/robots.txt") == 1 and other.hits("/x") == 0  # the other host's robots.txt was read
        with pytest.raises(SourceError, match="private, loopback"):  # a public site redirecting inwards
            PoliteClient("test", contact="radar-tests@example.org", min_interval=0).get(f"{site.url}/moved")


def test_a_robots_txt_that_answers_5xx_disallows_for_now_and_the_source_shows_blocked(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_site({"/feed": (ATOM, FEED)}, robots="", robots_status=503) as site:
        s = feed_source(settings, tmp_path, f"{site.url}/feed")
        store = open_store(s)
        with pytest.raises(SourceError, match=r"blocked: robots\.txt .* cannot be read .* disallowed for now") as err:
            collect("g", store, s)
        assert err.value.retryable and site.hits("/feed") == 0
        (state,) = freshness({"g": timedelta(days=7)}, store)
        assert state.state == "blocked"


def test_a_robots_txt_with_rules_is_obeyed_per_agent(tmp_path: Path) -> None:
    rules = "User-agent: SocialTenderRadar\nDisallow: /upphandlingar/arkiv\n\nUser-agent: *\nDisallow: /\n"
    with fake_site({"/upphandlingar": ("text/html", b"<p>x</p>")}, robots=rules) as site:
        http = client()
        assert http.allowed(f"{site.url}/upphandlingar") and not http.allowed(f"{site.url}/upphandlingar/arkiv/2")
        assert http.get(f"{site.url}/upphandlingar").status == 200


def test_a_cut_off_feed_is_an_error_not_a_shorter_feed(tmp_path: Path) -> None:
    cut = FEED[: FEED.index(b"</entry>") + 200]
    with fake_site({"/feed": (ATOM, cut)}) as site:
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: g, kind: feed, url: '{site.url}/feed', allow_private: true, min_interval: 0}}\n"
        )
        (source,) = load_sources(tmp_path / "s.yaml")
        items = list(source.tenders())
    assert [type(i) for i in items] == [ParseError] and "cut off" in str(items[0])


def test_a_feed_may_name_its_buyer(tmp_path: Path) -> None:
    with fake_site({"/feed": (ATOM, FEED)}) as site:
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: g, kind: feed, url: '{site.url}/feed', allow_private: true, min_interval: 0,"
            " buyer: Exempelby kommun, buyer_org_id: '000000-0000'}\n"  # invented buyer
        )
        (source,) = load_sources(tmp_path / "s.yaml")
        tenders = [t for t in source.tenders() if isinstance(t, Tender)]
    assert tenders and all((t.buyer_name, t.buyer_org_id) == ("Exempelby kommun", "000000-0000") for t in tenders)


PAGE = """<html><body><ul><li class="t"><h3><a href="/u/{n}">Lokalvård {n}</a></h3></li>
<li class="t"><h3><a href="/u/{n}b">Tvätt {n}</a></h3></li></ul><a class="next" href="{next}">Nästa</a></body></html>"""


def html_source(tmp_path: Path, url: str, extra: str = "") -> Path:
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{name: kommun, kind: html, url: '{url}', item: li.t, title: h3, next: a.next,"
        f" min_interval: 0, allow_private: true, backoff: 0, attempts: 2, terms_checked: 2026-11-27{extra}}}\n"
    )
    return tmp_path / "sources.yaml"


def test_a_next_link_off_the_site_is_not_followed(tmp_path: Path) -> None:
    with fake_site() as site:
        off = site.url.replace("127.0.0.1", "localhost") + "/p2"  # another host name for the same server
        site.pages = {"/p1": ("text/html", PAGE.format(n=1, next=off).encode()),
                      "/p2": ("text/html", PAGE.format(n=2, next="").encode())}  # fmt: skip
        (source,) = load_sources(html_source(tmp_path, f"{site.url}/p1"))
        items = list(source.tenders())
        assert site.hits("/p2") == 0
        assert "leads off the site" in str(next(i for i in items if isinstance(i, ParseError)))
        (allowed,) = load_sources(html_source(tmp_path, f"{site.url}/p1", ", hosts: [localhost]"))
        assert len([t for t in allowed.tenders() if isinstance(t, Tender)]) == 4 and site.hits("/p2") == 1


def test_an_html_source_needs_terms_checked(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "sources:\n  - {name: k, kind: html, url: 'https://example.org/u', item: li, title: h3}\n"
    )
    (source,) = load_sources(tmp_path / "s.yaml")
    with pytest.raises(SourceError, match="needs 'terms_checked: YYYY-MM-DD'"):
        list(source.tenders())


def test_run_counts_what_a_source_stored_before_it_failed(tmp_path: Path) -> None:
    with fake_site() as site:
        site.pages = {"/p1": ("text/html", PAGE.format(n=1, next="/p2").encode())}
        site.failures = {"/p2": [500] * 10}
        html_source(tmp_path, f"{site.url}/p1")
        (tmp_path / "subscribers.yaml").write_text("subscribers: []\n")
        summary = run_once(load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_WORKERS": "1"}))
    (kommun,) = summary["collected"]
    assert kommun["new"] == 2 and len(kommun["errors"]) == 1 and "answered 500" in kommun["errors"][0]


def test_the_address_checked_is_the_address_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a name that resolves to a public address when checked and to loopback a
    moment later must not lead to loopback."""
    real = socket.getaddrinfo
    answers = iter(["192.0.2.10"])  # TEST-NET-1: public-shaped, routes nowhere

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "feeds.radar-test.example":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(ipaddress.IPv4Address, "is_global", property(lambda a: str(a) == "192.0.2.10"))
    with fake_site({"/feed": (ATOM, FEED)}) as site:
        http = PoliteClient("test", contact="radar-tests@example.org", min_interval=0, attempts=1, timeout=1)
        http._robots["http://feeds.radar-test.example:" + str(site.port)] = None  # robots.txt is not the point here
        with pytest.raises(SourceError, match="cannot fetch"):
            http.get(f"http://feeds.radar-test.example:{site.port}/feed")
        assert site.requests == []  # the loopback site was never reached
