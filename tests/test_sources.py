"""Every registered source kind, and the sources file: declarations, errors, feeds over HTTP."""

from __future__ import annotations

import json
from collections.abc import Generator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from radar.pipeline import run_once
from scrapers.errors import ParseError, SourceError
from scrapers.sources import KINDS, load_sources
from tenders.config import load_settings
from tenders.model import Tender

from .conftest import PROJECT
from .fakes.ocds import fake_ocds
from .fakes.ted import fake_ted
from .fakes.web import serve
from .helpers.award_csv import UHM_COLUMNS
from .helpers.ocds import BASE, RELEASES
from .helpers.ted_packages import package, ted_site


@contextmanager
def local(options: dict[str, Any]) -> Generator[dict[str, Any]]:
    yield options


@contextmanager
def on_fake_ted() -> Generator[dict[str, Any]]:
    with fake_ted() as ted:
        yield {
            "api_url": ted.url,
            "notice_url": ted.url,
            "min_interval": 0,
            "allow_private": True,
            "first_days": 5000,
            "notices_per_minute": 100000,
        }


@contextmanager
def on_municipal_page() -> Generator[dict[str, Any]]:
    page = b'<html><body><div class="t"><h2><a href="/u/1">Lokalv\xc3\xa5rd</a></h2></div></body></html>'
    with serve(page, "text/html; charset=utf-8") as url:
        yield {
            "url": url,
            "item": "div.t",
            "title": "h2",
            "min_interval": 0,
            "allow_private": True,
            "terms_checked": "2026-11-27",
        }


@contextmanager
def on_find_a_tender() -> Generator[dict[str, Any]]:
    with fake_ocds(RELEASES) as fts:
        yield {"url": fts.url, "min_interval": 0, "allow_private": True, "first_days": 40,
               "until": (BASE + timedelta(days=11)).isoformat()}  # fmt: skip


@contextmanager
def on_ted_packages() -> Generator[dict[str, Any]]:
    with ted_site({"202600001": package(sorted((PROJECT / "data/samples/ted").glob("*.xml")))}) as (url, _):
        yield {"url": url, "start": "202600001", "min_interval": 0, "allow_private": True}


@contextmanager
def on_mailbox() -> Generator[dict[str, Any]]:
    from .fakes.imap import ALERT_HTML, deliver, dovecot, mail

    with dovecot() as imap, pytest.MonkeyPatch.context() as env:
        env.setenv("TENDER_RADAR_MAILBOX_USER", imap.user)
        env.setenv("TENDER_RADAR_MAILBOX_PASSWORD", imap.password)
        deliver(imap, mail("bevakning@annonser.example.org", "2 nya upphandlingar", html=ALERT_HTML))
        yield {"host": imap.host, "port": imap.port, "security": "none", "allow_private": True,
               "senders": ["bevakning@annonser.example.org"]}  # fmt: skip


# Every kind of source, with what it needs to run here (a local server where it talks HTTP).
EXAMPLES: dict[str, Any] = {
    "ted_files": lambda: local({"path": str(PROJECT / "data/samples/ted")}),
    "feed": lambda: local(
        {"path": str(PROJECT / "data/samples/feeds/dalarna.xml"), "nuts": ["SE312"], "country": "SE"}
    ),
    "ted_api": on_fake_ted,
    "html": on_municipal_page,
    "ocds": on_find_a_tender,
    "ted_packages": on_ted_packages,
    "mailbox": on_mailbox,
    "award_csv": lambda: local({"path": str(PROJECT / "data/samples/awards/dalarna.csv"), "columns": UHM_COLUMNS}),
}


def test_every_kind_has_an_example_here() -> None:
    assert set(KINDS) == set(EXAMPLES)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_yields_tenders_with_its_source_and_a_stable_id(kind: str, tmp_path: Path) -> None:
    with EXAMPLES[kind]() as options:
        entry = {"name": f"example-{kind}", "kind": kind, **options}
        (tmp_path / "sources.yaml").write_text("sources:\n  - " + json.dumps(entry) + "\n")
        (source,) = load_sources(tmp_path / "sources.yaml")
        first = [t for t in source.tenders() if isinstance(t, Tender)]
        again = [t for t in source.tenders() if isinstance(t, Tender)]
    assert first and [t.id for t in first] == [t.id for t in again]
    assert all(t.title for t in first)


def test_the_bundled_sources_file_loads() -> None:
    names = [s.name for s in load_sources(PROJECT / "sources.yaml")]
    assert names == ["ted-samples", "dalarna-demo-feed", "gavleborg-demo-feed", "awards-demo-dalarna"]


@pytest.mark.parametrize(
    "body,message",
    [
        ("sources: 3", "expected a top-level 'sources:' list"),
        ("sources:\n  - {kind: feed}", "sources[0]: each source needs a 'name'"),
        (
            "sources:\n  - {name: a, kind: ftp}",
            "sources[0]: unknown kind 'ftp'; known kinds: award_csv, feed, html, mailbox, ocds, ted_api, ted_files, "
            "ted_packages",
        ),
        ("sources:\n  - {name: a, kind: feed, url: x}\n  - {name: a, kind: feed, url: y}", "duplicate source name"),
        ("sources: [", "cannot read the sources file"),
    ],
)
def test_a_wrong_sources_file_is_named(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(body)
    with pytest.raises(SourceError) as err:
        load_sources(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_a_feed_over_http(tmp_path: Path) -> None:
    body = (PROJECT / "data/samples/feeds/gavleborg.xml").read_bytes()
    with serve(body, "application/atom+xml") as url:
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: g, kind: feed, url: '{url}', nuts: [SE313], allow_private: true}}\n"
        )
        (source,) = load_sources(tmp_path / "s.yaml")
        tenders = list(source.tenders())
    assert [t.title for t in tenders if isinstance(t, Tender)] == [
        "Kafédrift i Gävle stadsbibliotek", "Licenser för ekonomisystem, Region Gävleborg"]  # fmt: skip
    assert all(isinstance(t, Tender) and t.nuts == ["SE313"] for t in tenders)


def test_a_feed_url_that_serves_html_is_an_error_not_an_empty_feed(tmp_path: Path) -> None:
    with serve(b"<!DOCTYPE html><html><body>Maintenance</body></html>", "text/html") as url:
        (tmp_path / "s.yaml").write_text(f"sources:\n  - {{name: g, kind: feed, url: '{url}', allow_private: true}}\n")
        (source,) = load_sources(tmp_path / "s.yaml")
        (item,) = list(source.tenders())
    assert isinstance(item, ParseError)
    assert "the server sent an HTML page" in str(item) and url in str(item)


def test_only_http_urls_are_fetched(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("sources:\n  - {name: g, kind: feed, url: 'file:///etc/passwd'}\n")
    (source,) = load_sources(tmp_path / "s.yaml")
    with pytest.raises(SourceError, match="only http and https"):
        list(source.tenders())


def test_a_feed_that_lies_about_its_encoding_and_has_a_broken_entry(tmp_path: Path) -> None:
    feed = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>Upphandlingar</title>'
        "<item><title>Lokalvård i Säter</title><link>https://example.org/1</link></item>"
        "<item><description>no title, no link, no id</description></item>"
        "<item><title>Tvätt åt äldreboenden</title><link>https://example.org/2</link></item>"
        "</channel></rss>"
    ).encode("iso-8859-1")
    with serve(feed, "application/rss+xml; charset=utf-8") as url:  # the header says UTF-8; it is not
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: g, kind: feed, url: '{url}', min_interval: 0, allow_private: true}}\n"
        )
        (source,) = load_sources(tmp_path / "s.yaml")
        items = list(source.tenders())
    assert [t.title for t in items if isinstance(t, Tender)] == ["Lokalvård i Säter", "Tvätt åt äldreboenden"]
    assert not [i for i in items if isinstance(i, ParseError)]  # one broken entry does not fail the feed


def test_a_feed_that_times_out_is_named_and_the_other_sources_still_arrive(tmp_path: Path) -> None:
    with serve(b"<rss/>", "application/rss+xml", delay=3) as url:
        (tmp_path / "sources.yaml").write_text(
            f"sources:\n  - {{name: slow, kind: feed, url: '{url}', min_interval: 0, allow_private: true, timeout: 0.5,"
            " attempts: 2}\n"
            f"  - {{name: samples, kind: ted_files, path: {PROJECT / 'data/samples/ted'}}}\n"
        )
        (tmp_path / "subscribers.yaml").write_text("subscribers: []\n")
        summary = run_once(load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_WORKERS": "1"}))
    slow, samples = summary["collected"]
    assert samples["new"] == 6
    assert len(slow["errors"]) == 1 and f"cannot fetch {url}" in slow["errors"][0] and "timed out" in slow["errors"][0]


def test_a_run_over_one_source_of_every_kind_stores_each_tender_once_and_a_rerun_does_no_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from contextlib import ExitStack

    from radar.cli import main

    with ExitStack() as stack:
        entries = [{"name": f"src-{kind}", "kind": kind, **stack.enter_context(EXAMPLES[kind]())} for kind in KINDS]
        (tmp_path / "sources.yaml").write_text("sources:\n" + "".join(f"  - {json.dumps(e)}\n" for e in entries))
        env = {
            "TENDER_RADAR_HOME": str(tmp_path),
            "TENDER_RADAR_SOURCES": str(tmp_path / "sources.yaml"),
            "TENDER_RADAR_SUBSCRIBERS": str(PROJECT / "subscribers.yaml"),
            "TENDER_RADAR_INCLUDE_EXPIRED": "1",
        }
        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            assert main(["run", "--json"]) == 0
            first = {c["source"]: c for c in json.loads(capsys.readouterr().out)["collected"]}
            assert main(["run", "--json"]) == 0
            second = {c["source"]: c for c in json.loads(capsys.readouterr().out)["collected"]}
            store_url = load_settings().database_url
    assert set(first) == {e["name"] for e in entries}
    # TED notices keep their TED id whichever TED source brings them: the package finds them already stored.
    assert all(c["new"] + c["unchanged"] > 0 and not c["errors"] for c in first.values()), json.dumps(first, indent=1)
    assert all(c["new"] == 0 and c["changed"] == 0 and not c["errors"] for c in second.values()), second
    from tenders.store import Store

    store = Store(store_url)
    health = store.source_health()
    assert set(health) == set(first) and all(h.last_run.errors == 0 for h in health.values())
    # Every tender once: the same notices reached by files, packages and the API are stored once per source,
    # and the procedures they share are shown once.
    ids = [a.tender.id for a in store.assessed()]
    assert len(ids) == len(set(ids))


def test_a_source_error_names_the_url_without_its_password() -> None:
    # sources.yaml may hold a private feed's credentials in its URL (invented here)
    url = "https://radar:t0ken-invented@feeds.example.org/tenders.xml"
    errors = [SourceError("feed", f"cannot read {url}: 404"), ParseError(url, f"not a feed (from {url})"),
              SourceError("feed", f"{url} refuses robots", blocked=True)]  # fmt: skip
    for error in errors:
        assert "t0ken" not in str(error) and "radar:" not in str(error)
        assert "https://…@feeds.example.org/tenders.xml" in str(error)
