"""TED daily packages against a fake TED that behaves like the real one: the next OJ S issues
downloaded to disk and streamed; the bot challenge; packages that are not packages; the first
issue from the release calendar or probed; the 09:30 CET rule."""

from __future__ import annotations

import gzip
import io
import logging
import tarfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import scrapers.sources.files
from radar.health import freshness
from radar.pipeline import collect
from scrapers.errors import SourceError
from scrapers.notices import MAX_NOTICE_BYTES
from scrapers.sources.files import CET
from tenders.config import Settings
from tenders.store import open_store

from .conftest import FIXTURES
from .fakes.ted import FakeTed, fake_ted
from .helpers.ted_packages import package, ted_site

NOTICES = sorted((FIXTURES / "eforms-real").glob("*.xml"))
LEGACY = sorted((FIXTURES / "ted-real" / "legacy").glob("*.xml"))


@pytest.fixture(autouse=True)
def after_final(monkeypatch: pytest.MonkeyPatch) -> None:
    """Noon on a Monday at TED unless a test says otherwise: every package found is final."""
    at(monkeypatch, "2026-11-30T12:00")


def at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    moment = datetime.fromisoformat(when).replace(tzinfo=CET)
    monkeypatch.setattr(scrapers.sources.files, "cet_now", lambda: moment)


def configure(settings: Settings, tmp_path: Path, url: str, extra: str = "") -> Settings:
    (tmp_path / "downloads").mkdir(exist_ok=True)
    (tmp_path / "s.yaml").write_text(
        f"sources:\n  - {{name: daily, kind: ted_packages, url: '{url}', min_interval: 0, allow_private: true,"
        f" backoff: 0, download_dir: '{tmp_path / 'downloads'}'{extra}}}\n"
    )
    return replace(settings, sources_file=tmp_path / "s.yaml")


def gets(ted: FakeTed, issue: str) -> int:
    return sum(1 for method, path, _ in ted.requests if method == "GET" and path.endswith(f"/{issue}"))


def test_new_packages_are_read_and_a_rerun_asks_only_for_the_next_issue(settings: Settings, tmp_path: Path) -> None:
    packages = {"202600230": package(NOTICES[:10]), "202600231": package(NOTICES[10:] + LEGACY[:4])}
    with ted_site(packages) as (url, asked):
        s = configure(settings, tmp_path, url, ", start: '202600230'")
        store = open_store(s)
        first = collect("daily", store, s)
        assert first.new == 18 + 4 and first.errors == []
        assert asked == ["202600230", "202600231", "202600232", "202600233"]  # two misses in a row: not yet published
        assert list((tmp_path / "downloads").iterdir()) == []  # each download is deleted once read

        asked.clear()
        packages["202600232"] = package(LEGACY[:1] + LEGACY[4:6])
        second = collect("daily", store, s)
        assert asked[0] == "202600232" and second.new == 2 and second.unchanged == 1


def test_a_bot_challenge_moves_no_watermark_stops_after_a_few_tries_and_shows_the_source_blocked(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_ted(load=False) as ted:
        ted.packages = {"202600230": package(NOTICES[:3]), "202600231": package(NOTICES[3:6])}
        ted.challenge = 100  # 202, an empty body, x-amzn-waf-action: challenge
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", start: '202600230', attempts: 3")
        store = open_store(s)
        with pytest.raises(SourceError, match=r"blocked: .*202.*x-amzn-waf-action") as err:
            collect("daily", store, s)
        assert err.value.retryable and err.value.blocked
        assert gets(ted, "202600230") == 1 and gets(ted, "202600231") == 0  # not asked again at once: it stops
        assert "~last-package" not in store.fingerprints("daily")  # the watermark did not move
        (state,) = freshness({"daily": timedelta(days=4)}, store)
        assert state.state == "blocked" and "x-amzn-waf-action" in state.detail

        ted.challenge = 0  # the next day TED answers again: the same issue is asked for, nothing was lost
        again = collect("daily", store, s)
        assert again.new == 6 and again.errors == []


def test_the_user_agent_names_the_radar_and_the_operators_contact(settings: Settings, tmp_path: Path) -> None:
    with fake_ted(load=False) as ted:
        ted.packages = {"202600230": package(NOTICES[:2])}
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", start: '202600230'")
        assert collect("daily", open_store(s), s).new == 2
        agents = {agent for _, _, agent in ted.requests}
    (agent,) = agents
    assert agent.startswith("Mozilla/5.0 (compatible; SocialTenderRadar/")
    assert agent.endswith("; +radar-tests@example.org)")


def test_no_http_source_runs_without_the_operators_contact(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENDER_RADAR_CONTACT")
    with fake_ted(load=False) as ted:
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", start: '202600230'")
        with pytest.raises(SourceError, match="set TENDER_RADAR_CONTACT"):
            collect("daily", open_store(s), s)
        assert ted.requests == []


@pytest.mark.parametrize(
    "body,why",
    [
        (gzip.compress(b"\0" * 100_000), "no notice in it"),  # a gzip of zeros named .tar.gz
        (package(NOTICES[:4])[:3000], "broken package"),  # cut off in transfer
    ],
)
def test_a_package_that_holds_no_notices_is_an_error_and_is_asked_for_again(
    settings: Settings, tmp_path: Path, body: bytes, why: str
) -> None:
    with fake_ted(load=False) as ted:
        ted.packages = {"202600230": body}
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", start: '202600230'")
        store = open_store(s)
        first = collect("daily", store, s)
        assert len(first.errors) >= 1 and why in " ".join(first.errors)
        assert "~last-package" not in store.fingerprints("daily")
        ted.packages["202600230"] = package(NOTICES[:4])
        assert collect("daily", store, s).new == 4


def test_an_answer_that_is_not_gzip_is_no_package(settings: Settings, tmp_path: Path) -> None:
    with fake_ted(load=False) as ted:
        ted.packages = {"202600230": b"<html><body>Please wait</body></html>"}
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", start: '202600230', attempts: 2")
        with pytest.raises(SourceError, match=r"blocked: .*something else than gzip"):
            collect("daily", open_store(s), s)
        assert gets(ted, "202600230") == 1


CALENDAR = "Issue;Date\n" + "".join(  # invented rows in the calendar's shape: issue number, D/M/YYYY
    f"{n};{d}\n" for n, d in [(227, "26/11/2026"), (228, "27/11/2026"), (229, "30/11/2026"), (230, "01/12/2026")]
)


def test_the_first_run_takes_todays_issue_from_the_release_calendar(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with fake_ted(load=False) as ted:
        # 238 weekdays have gone by on 30 November 2026; holidays make today's issue 229.
        ted.packages = {"202600228": package(NOTICES[:2]), "202600229": package(NOTICES[2:5])}
        ted.calendar = {2026: CALENDAR}
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily")
        with caplog.at_level(logging.INFO):
            result = collect("daily", open_store(s), s)
        assert result.new == 3 and gets(ted, "202600229") == 1 and gets(ted, "202600228") == 0
        assert "issue 229 of 2026, from TED's release calendar" in caplog.text


def test_without_the_calendar_the_first_issue_is_probed_back_from_the_weekdays(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with fake_ted(load=False) as ted:
        ted.packages = {"202600228": package(NOTICES[:2]), "202600229": package(NOTICES[2:5])}
        ted.calendar_status = 503
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", attempts: 1")
        with caplog.at_level(logging.INFO):
            result = collect("daily", open_store(s), s)
        assert result.new == 3
        assert "issue 229 of 2026, probed back from 238" in caplog.text
        heads = [path for method, path, _ in ted.requests if method == "HEAD"]
        assert heads[0].endswith("/202600238") and heads[-1].endswith("/202600229")


def test_todays_package_is_not_marked_read_before_0930_cet_and_is_read_again_after(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_ted(load=False) as ted:
        ted.packages = {"202600228": package(NOTICES[:2]), "202600229": package(NOTICES[2:4])}
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", start: '202600228'")
        store = open_store(s)
        at(monkeypatch, "2026-11-30T08:00")
        assert collect("daily", store, s).new == 4  # today's package is read at once...
        assert store.fingerprints("daily")["~last-package"] == "202600228"  # ...but not marked read
        at(monkeypatch, "2026-11-30T08:40")
        collect("daily", store, s)
        assert gets(ted, "202600229") == 1  # not downloaded again before it is final
        ted.packages["202600229"] = package(NOTICES[2:5])  # the upload was completed by 09:30
        at(monkeypatch, "2026-11-30T09:45")
        after = collect("daily", store, s)
        assert gets(ted, "202600229") == 2 and after.new == 1
        assert store.fingerprints("daily")["~last-package"] == "202600229"


def test_a_member_bigger_than_any_notice_is_reported_and_passed_over(settings: Settings, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(NOTICES[0], arcname="package/first.xml")
        huge = tarfile.TarInfo("package/huge.xml")
        huge.size = MAX_NOTICE_BYTES + 1  # zeros: a few kB compressed
        tar.addfile(huge, io.BytesIO(b"\0" * huge.size))
        tar.add(NOTICES[1], arcname="package/last.xml")
    with fake_ted(load=False) as ted:
        ted.packages = {"202600230": buffer.getvalue()}
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", start: '202600230'")
        result = collect("daily", open_store(s), s)
    assert result.new == 2 and len(result.errors) == 1 and "huge.xml" in result.errors[0]
    assert "more than the 10 MB a notice may have" in result.errors[0]


def test_status_shows_a_blocked_source_as_blocked(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from radar.cli import main

    with fake_ted(load=False) as ted:
        ted.challenge = 1
        s = configure(settings, tmp_path, f"{ted.url}/packages/daily", ", start: '202600230'")
        with pytest.raises(SourceError):
            collect("daily", open_store(s), s)
    monkeypatch.setenv("TENDER_RADAR_HOME", str(tmp_path))
    monkeypatch.setenv("TENDER_RADAR_SOURCES", str(s.sources_file))
    monkeypatch.setenv("TENDER_RADAR_DATABASE_URL", s.database_url)
    assert main(["status"]) != 0  # a monitor running `status` notices
    (line,) = [row for row in capsys.readouterr().out.splitlines() if row.startswith("daily ")]
    assert line.split()[1] == "blocked" and "x-amzn-waf-action" in line


def test_parse_of_a_gzip_of_zeros_named_tar_gz_fails_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from radar.cli import main

    (tmp_path / "2026001.tar.gz").write_bytes(gzip.compress(b"\0" * 100_000))
    assert main(["parse", str(tmp_path / "2026001.tar.gz")]) != 0
    assert "no notice in it" in capsys.readouterr().err
