"""TED daily packages: the next OJ S issues downloaded to disk and streamed, until TED has no more."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tenders.config import Settings
from tenders.pipeline import collect, open_store

from .conftest import FIXTURES
from .helpers.ted_packages import YEAR, package, ted_site


def test_new_packages_are_read_and_a_rerun_asks_only_for_the_next_issue(settings: Settings, tmp_path: Path) -> None:
    notices = sorted((FIXTURES / "eforms-real").glob("*.xml"))
    legacy = sorted((FIXTURES / "ted-real" / "legacy").glob("*.xml"))[:4]
    packages = {f"{YEAR}00230": package(notices[:10]), f"{YEAR}00231": package(notices[10:] + legacy)}
    with ted_site(packages) as (url, asked):
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: daily, kind: ted_packages, url: '{url}', start: '{YEAR}00230', min_interval: 0,"
            f" download_dir: '{tmp_path / 'downloads'}'}}\n"
        )
        (tmp_path / "downloads").mkdir()
        s = replace(settings, sources_file=tmp_path / "s.yaml")
        store = open_store(s)
        first = collect("daily", store, s)
        assert first.new == 18 + 4 and first.errors == []
        assert asked == [
            f"{YEAR}00230",
            f"{YEAR}00231",
            f"{YEAR}00232",
            f"{YEAR}00233",
        ]  # two misses in a row: not yet published
        assert list((tmp_path / "downloads").iterdir()) == []  # each download is deleted once read

        asked.clear()
        packages[f"{YEAR}00232"] = package(legacy[:1] + sorted((FIXTURES / "ted-real" / "legacy").glob("*.xml"))[4:6])
        second = collect("daily", store, s)
        assert asked[0] == f"{YEAR}00232" and second.new == 2 and second.unchanged == 1
