"""The TED Search API source against a local fake TED: paging, incremental runs, politeness."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from radar.pipeline import collect, open_store
from scrapers.errors import SourceError
from scrapers.http import PoliteClient
from scrapers.sources import load_sources
from tenders.config import Settings

from .fakes.ted import fake_ted


def ted_source(tmp_path: Path, url: str, **options: str) -> Path:
    extra = "".join(f", {k}: '{v}'" for k, v in options.items())
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"sources:\n  - {{name: ted, kind: ted_api, api_url: '{url}', notice_url: '{url}', min_interval: 0,"
        f" first_days: 5000{extra}}}\n"
    )
    return path


def test_every_notice_is_found_across_pages_and_a_rerun_fetches_only_what_is_new(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_ted() as ted:
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url))
        store = open_store(s)
        first = collect("ted", store, s)
        assert first.new == 18 and first.errors == []
        assert len(ted.searches) == 4  # 18 notices, 5 to a page
        assert all(q["limit"] <= 250 and q["fields"] and q["paginationMode"] == "ITERATION" for q in ted.searches)
        assert [q.get("iterationNextToken") for q in ted.searches] == [None, "5", "10", "15"]
        stored = store.get("ted:00612681-2024")
        assert stored is not None and stored.buyer_name == "FOD Justitie"  # the full notice, parsed from its XML

        ted.fetched.clear()
        ted.searches.clear()
        again = collect("ted", store, s)
        # Only notices published since the newest one seen (one day of overlap) are asked for; none is fetched twice.
        assert "publication-date>=20241009" in ted.searches[0]["query"]
        assert ted.fetched == [] and again.new == 0 and again.skipped >= 1


def test_a_429_is_waited_out_and_a_notice_that_cannot_be_fetched_is_tried_again(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_ted() as ted:
        ted.throttle = 2
        ted.unavailable = {"00522031-2023"}  # the oldest notice: found by the search, its XML missing
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url))
        store = open_store(s)
        first = collect("ted", store, s)
        assert first.new == 17 and ted.throttle == 0  # two 429s waited out (Retry-After), then the rest
        assert len(first.errors) == 1 and "00522031-2023/xml" in first.errors[0]
        ted.unavailable = set()
        second = collect("ted", store, s)  # the watermark did not move past the missing one
        assert second.new == 1 and store.get("ted:00522031-2023") is not None


def test_robots_txt_is_obeyed(tmp_path: Path) -> None:
    with fake_ted() as ted:
        client = PoliteClient("test", min_interval=0)
        assert client.allowed(f"{ted.url}/en/notice/00612681-2024/xml")
        assert not client.allowed(f"{ted.url}/private/list")
        with pytest.raises(SourceError, match=r"robots\.txt"):
            client.get(f"{ted.url}/private/list")


def test_the_pace_per_host_is_kept() -> None:
    waits: list[float] = []
    now = [100.0]
    client = PoliteClient("test", min_interval=0.5, sleep=waits.append, clock=lambda: now[0])
    client._pace("a.example")
    client._pace("a.example")
    client._pace("b.example")  # another host is not held back
    assert waits == [0.5]


def test_the_ted_source_is_declared_in_configuration_only(tmp_path: Path) -> None:
    (source,) = load_sources(ted_source(tmp_path, "https://api.ted.europa.eu", query="buyer-country=SWE"))
    assert source.kind == "ted_api" and source.options["query"] == "buyer-country=SWE"
