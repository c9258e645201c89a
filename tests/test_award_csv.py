"""Award data as CSV in a layout mapped in sources.yaml (`columns:`),
each row a result notice with its winner; a wrong mapping or a broken row is named."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from radar.pipeline import collect
from scrapers.errors import ParseError, SourceError
from scrapers.sources.registry import load_sources
from tenders.config import Settings
from tenders.model import Tender
from tenders.store import open_store

from .conftest import PROJECT
from .helpers.award_csv import UHM_COLUMNS

SAMPLE = PROJECT / "data/samples/awards/dalarna.csv"


def source(tmp_path: Path, **options: object) -> object:
    entry = {"name": "uhm", "kind": "award_csv", "path": str(SAMPLE), "columns": UHM_COLUMNS, **options}
    (tmp_path / "sources.yaml").write_text("sources:\n  - " + json.dumps(entry) + "\n")
    (found,) = load_sources(tmp_path / "sources.yaml")
    return found


def test_each_row_is_a_result_with_its_winner_and_flags(tmp_path: Path) -> None:
    tenders = {t.notice_id: t for t in source(tmp_path).tenders() if isinstance(t, Tender)}  # type: ignore[attr-defined]
    assert sorted(tenders) == ["DAL-2026-014", "DAL-2026-022", "DAL-2026-031"]
    cleaning = tenders["DAL-2026-014"]
    assert cleaning.notice_type == "result" and cleaning.buyer_org_id == "212000-2270"  # Ludvika, for Borlänge
    assert cleaning.winners == [{"org_id": "769630-1238", "name": "Mora Städ & Trädgård ekonomisk förening"}]
    assert cleaning.reserved_participation == ["res-ws"] and cleaning.strategic_procurement == ["soc-obj"]
    assert cleaning.cpv_main == "90910000" and cleaning.estimated_value == 1_850_000
    assert cleaning.published == "2026-03-12"
    parks = tenders["DAL-2026-022"]
    assert parks.reserved_participation == [] and parks.strategic_procurement == []


def test_a_mapping_naming_a_missing_column_names_it_and_the_real_ones(tmp_path: Path) -> None:
    wrong = {**UHM_COLUMNS, "cpv": "CPV-kod"}
    errors = [e for e in source(tmp_path, columns=wrong).tenders() if isinstance(e, ParseError)]  # type: ignore[attr-defined]
    assert len(errors) == 1 and "no column 'CPV-kod'" in str(errors[0]) and "Avtalsvärde" in str(errors[0])


def test_a_source_without_the_required_columns_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="'columns' must name supplier_org_id"):
        list(source(tmp_path, columns={"buyer_org_id": "x"}).tenders())  # type: ignore[attr-defined]
    with pytest.raises(SourceError, match="unknown field"):
        list(source(tmp_path, columns={**UHM_COLUMNS, "winner": "x"}).tenders())  # type: ignore[attr-defined]


def test_a_row_without_organisation_numbers_fails_that_file_not_the_run(settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text(SAMPLE.read_text(encoding="utf-8").replace("769600-5557", ""), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        "sources:\n"
        + "  - " + json.dumps({"name": "uhm", "kind": "award_csv", "path": str(broken), "columns": UHM_COLUMNS}) + "\n"
        + "  - {name: feed, kind: feed, path: " + str(PROJECT / "data/samples/feeds/dalarna.xml") + "}\n"
    )  # fmt: skip
    s = replace(settings, sources_file=tmp_path / "sources.yaml")
    store = open_store(s)
    awards = collect("uhm", store, s)
    assert any("line 4: no buyer or supplier organisation number" in e for e in awards.errors)
    assert collect("feed", store, s).new > 0  # the other source is not affected
    assert store.source_health()["uhm"].last_run.errors == 1  # and the broken file shows in status
