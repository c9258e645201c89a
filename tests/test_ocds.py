"""OCDS: Find a Tender's release packages by time window (split, not cursor-followed), mapped
into the tender model: reserved participation, VCSE suitability, updates and awards."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from matching.classify import classify
from scrapers.ocds import parse_ocds
from tenders.config import Settings
from tenders.pipeline import collect, open_store

from .helpers.ocds import BASE, RELEASES, UPDATE, find_a_tender, release


def test_mapping_reserved_vcse_and_the_newest_release_of_a_procedure() -> None:
    data = json.dumps({"releases": [RELEASES[3], RELEASES[4], RELEASES[5], UPDATE]}).encode()
    tenders = {t.notice_id: t for t in parse_ocds(data, "pkg", "fts")}
    reserved, vcse, updated = (
        tenders["ocds-h6vhtk-000003"],
        tenders["ocds-h6vhtk-000004"],
        tenders["ocds-h6vhtk-000005"],
    )
    assert (
        reserved.reserved_participation == ["res-ws"]
        and reserved.buyer_country == "GB"
        and reserved.buyer_nuts == "UKI32"
    )
    assert reserved.cpv_main == "77310000" and reserved.estimated_value == 120000 and reserved.currency == "GBP"
    assert classify(reserved).label == "suitable"
    assert vcse.vcse is True and classify(vcse).reasons[0]["code"] == "vcse"
    assert updated.title == "Grounds maintenance 5 (amended)" and updated.notice_type == "change"


def test_windows_are_split_not_cursor_followed_and_a_rerun_starts_at_the_watermark(
    settings: Settings, tmp_path: Path
) -> None:
    with find_a_tender(limit_hits=8, throttle=1) as fts:
        until = (BASE + timedelta(days=10)).isoformat()
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: fts, kind: ocds, url: '{fts['url']}', min_interval: 0, limit: 8,"
            f" first_days: 40, until: '{until}'}}\n"
        )
        s = replace(settings, sources_file=tmp_path / "s.yaml")
        store = open_store(s)
        first = collect("fts", store, s)
        assert first.errors == [] and first.new + first.changed == 30 + 1  # the update arrives as a change
        assert len({t.tender.id for t in store.assessed()}) == 30  # one tender per procedure
        assert all(int(q["limit"]) == 8 for q in fts["requests"]) and len(fts["requests"]) > 5
        assert store.get("fts:ocds-h6vhtk-000005").title == "Grounds maintenance 5 (amended)"  # type: ignore[union-attr]
        assert len(store.history("fts:ocds-h6vhtk-000005")) == 1  # the first release kept as history
        fts["requests"].clear()
        again = collect("fts", store, s)
        assert (
            fts["requests"][0]["updatedFrom"] == f"{BASE + timedelta(days=10):%Y-%m-%d}T00:00:00Z"
        )  # from the watermark on
        assert again.new == 0


def test_contracts_finder_is_the_same_source_with_its_own_parameter_names(settings: Settings, tmp_path: Path) -> None:
    with find_a_tender(names=("publishedFrom", "publishedTo", "size")) as cf:
        url = cf["url"].replace("/api/1.0/ocdsReleasePackages", "/Published/Notices/OCDS/Search")
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: cf, kind: ocds, url: '{url}', min_interval: 0, from_param: publishedFrom,"
            " to_param: publishedTo, limit_param: size, params: {stages: tender}, first_days: 40,"
            f" until: '{(BASE + timedelta(days=10)).isoformat()}'}}\n"
        )
        s = replace(settings, sources_file=tmp_path / "s.yaml")
        store = open_store(s)
        assert collect("cf", store, s).errors == []
        assert cf["requests"][0]["stages"] == "tender" and "publishedFrom" in cf["requests"][0]
        vcse = store.get("cf:ocds-h6vhtk-000004")
        assert vcse is not None and vcse.vcse is True


def test_an_award_release_names_its_winners_by_registered_identifier() -> None:
    award = {**release(7), "id": "r7c", "tag": ["award"]}
    award["parties"] = [*award["parties"], {"id": "GB-COH-09506232", "name": "Green Hands CIC", "roles": ["supplier"],
                                            "identifier": {"scheme": "GB-COH", "id": "09506232"}}]  # fmt: skip
    award["awards"] = [
        {"id": "a1", "status": "active", "suppliers": [{"id": "GB-COH-09506232", "name": "Green Hands CIC"}]},
        {"id": "a2", "status": "cancelled", "suppliers": [{"id": "GB-X", "name": "Withdrawn Ltd"}]},
    ]
    [tender] = parse_ocds(json.dumps({"releases": [award]}).encode(), "pkg", "fts")
    assert tender.notice_type == "result"
    assert tender.winners == [{"org_id": "09506232", "name": "Green Hands CIC"}]
