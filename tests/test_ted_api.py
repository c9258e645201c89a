"""The TED Search API source against a local fake TED: paging, incremental runs, politeness."""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

import scrapers.http
from radar.health import freshness
from radar.pipeline import collect
from scrapers.errors import SourceError
from scrapers.http import Pacer, PoliteClient
from scrapers.sources import TedApi, load_sources
from tenders.config import Settings
from tenders.store import open_store

from .conftest import PROJECT
from .fakes.ted import fake_ted


def ted_source(tmp_path: Path, url: str, **options: str) -> Path:
    extra = "".join(f", {k}: '{v}'" for k, v in options.items())
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"sources:\n  - {{name: ted, kind: ted_api, api_url: '{url}', notice_url: '{url}', min_interval: 0,"
        f" allow_private: true, first_days: 5000, notices_per_minute: 100000{extra}}}\n"
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
        client = PoliteClient("test", contact="radar-tests@example.org", min_interval=0, allow_private=True)
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


def test_the_search_sends_its_scope_and_a_timed_out_search_is_logged(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with fake_ted() as ted:
        ted.timed_out = True
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url))
        with caplog.at_level(logging.WARNING):
            result = collect("ted", open_store(s), s)
        # Without a scope the API searches only ACTIVE notices, and would find none of these.
        assert all(q["scope"] == "ALL" for q in ted.searches) and result.new == 18
        assert "TED's search timed out" in caplog.text


def test_a_query_the_api_refuses_is_tried_once_and_named(settings: Settings, tmp_path: Path) -> None:
    with fake_ted() as ted:
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url, query="buyer-countri=SWE"))
        with pytest.raises(SourceError, match="answered 400") as err:
            collect("ted", open_store(s), s)
        assert not err.value.retryable and len(ted.asked("/v3/")) == 1  # a retry cannot fix a wrong query


def test_5xx_with_retry_after_is_waited_out_but_a_retry_after_beyond_the_cap_fails_the_run_at_once(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_ted() as ted:
        ted.errors = [503, 502]
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url))
        assert collect("ted", open_store(s), s).new == 18
        assert len(ted.asked("/v3/")) == 4 + 2  # four pages, and the two 5xx answers tried again
    with fake_ted() as ted:
        ted.errors, ted.retry_after = [503], "99999999"
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url))
        with pytest.raises(SourceError, match="asked to wait 99999999 s") as err:
            collect("ted", open_store(s), s)
        assert err.value.retryable and len(ted.asked("/v3/")) == 1  # not slept, not tried again


def test_a_bot_challenge_stops_the_source_as_blocked_and_nothing_is_lost(settings: Settings, tmp_path: Path) -> None:
    with fake_ted() as ted:
        ted.challenge = 1000  # every notice download answered 202 with x-amzn-waf-action: challenge
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url, attempts="3"))
        store = open_store(s)
        with pytest.raises(SourceError, match="blocked") as err:
            collect("ted", store, s)
        assert err.value.blocked and len(ted.asked("/en/notice/")) == 3  # three notices challenged in a row: stop
        assert "~published-since" not in store.fingerprints("ted")
        (state,) = freshness({"ted": timedelta(days=3)}, store)
        assert state.state == "blocked"
        ted.challenge = 0
        assert collect("ted", store, s).new == 18


def test_a_waf_captcha_405_is_a_challenge_too_and_stops_the_source(settings: Settings, tmp_path: Path) -> None:
    """AWS WAF's CAPTCHA action answers 405 with x-amzn-waf-action: captcha. Read as an ordinary 4xx,
    it reset the count of challenges in a row and the source asked for every notice."""
    with fake_ted() as ted:
        ted.challenge, ted.challenge_status = 1000, 405
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url, attempts="3"))
        store = open_store(s)
        with pytest.raises(SourceError, match="x-amzn-waf-action: captcha") as err:
            collect("ted", store, s)
        assert err.value.blocked and len(ted.asked("/en/notice/")) == 3
        assert "~published-since" not in store.fingerprints("ted")


def test_an_empty_or_cut_off_notice_is_asked_for_again_until_it_arrives_or_a_stated_number_of_tries(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_ted() as ted:
        ted.empty, ted.truncated = {"00612681-2024"}, {"00522031-2023"}
        s = replace(settings, sources_file=ted_source(tmp_path, ted.url, attempts="1"))
        store = open_store(s)
        first = collect("ted", store, s)
        assert first.new == 16 and len(first.errors) == 2
        assert store.fingerprints("ted")["~published-since"] == "2024-10-09"  # the watermark moves on...
        ted.empty = set()
        ted.fetched.clear()
        second = collect("ted", store, s)  # ...and the two are asked for by number
        assert second.new == 1 and store.get("ted:00612681-2024") is not None
        assert ted.fetched.count("00522031-2023") == 1 and "00612681-2024" in ted.fetched
        for _ in range(TedApi.MAX_TRIES - 2):
            collect("ted", store, s)
        given_up = collect("ted", store, s)
        assert any("given up" in e and "00522031-2023" in e for e in given_up.errors)
        ted.fetched.clear()
        collect("ted", store, s)
        assert "00522031-2023" not in ted.fetched


def test_notice_downloads_keep_the_pace_per_host_whatever_the_number_of_sources(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    pacer = Pacer(sleep=lambda seconds: now.__setitem__(0, now[0] + seconds), clock=lambda: now[0])
    monkeypatch.setattr(scrapers.http, "PACER", pacer)
    with fake_ted() as ted:
        moments: list[float] = []
        ted.on_request = lambda path: moments.append(now[0]) if path.startswith("/en/notice/") else None
        (tmp_path / "two.yaml").write_text(
            "sources:\n"
            + "".join(
                f"  - {{name: {name}, kind: ted_api, api_url: '{ted.url}', notice_url: '{ted.url}', min_interval: 0,"
                f" allow_private: true, first_days: 5000, query: '{query}'}}\n"
                for name, query in (("a", "buyer-country=SWE"), ("b", "buyer-country=BEL"))
            )
        )
        s = replace(settings, sources_file=tmp_path / "two.yaml")
        store = open_store(s)
        collect("a", store, s)
        collect("b", store, s)
    assert len(moments) == 36  # each source fetched the 18 notices (they have their own ids)
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert min(gaps) >= 60 / 90 - 1e-9  # 90 a minute at most by default, across both sources


PACE_PROBE = """
import json, sys, time
from pathlib import Path
from scrapers.http import Pacer
pacer = Pacer(directory=Path(sys.argv[1]))
moments = []
for _ in range(5):
    pacer.wait("ted.europa.eu", 0.2)
    moments.append(time.time())
print(json.dumps(moments))
"""


def test_the_pace_is_kept_across_processes_with_a_shared_pace_directory(tmp_path: Path) -> None:
    """Airflow runs sources in parallel processes; TED counts requests per IP."""
    runs = [subprocess.Popen([sys.executable, "-c", PACE_PROBE, str(tmp_path / "pace")], stdout=subprocess.PIPE,
                             cwd=PROJECT) for _ in range(2)]  # fmt: skip
    moments = sorted(m for run in runs for m in json.loads(run.communicate(timeout=60)[0]))
    assert len(moments) == 10
    # Unshared, the two would go at once (gaps near 0, 0.8 s in all). A moment is taken after the
    # wait returns, so a process put aside by a loaded machine shortens one gap and lengthens
    # another: the span is the sure sign, the smallest gap only a coarse one.
    assert moments[-1] - moments[0] >= 9 * 0.2 - 0.1  # the first moment may itself come late
    assert min(b - a for a, b in itertools.pairwise(moments)) >= 0.1
