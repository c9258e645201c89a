"""OCDS: Find a Tender's release packages by time window (split, not cursor-followed, unless a
minute is still full), mapped into the tender model: reserved participation, VCSE suitability,
updates and awards; and the services' own limits, each against a fake that behaves that way."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from matching.classify import classify
from radar.pipeline import collect
from scrapers.http import PoliteClient
from scrapers.ocds import parse_ocds
from scrapers.sources import load_sources
from tenders.config import Settings
from tenders.store import open_store

from .fakes.ocds import UK, fake_ocds
from .helpers.ocds import BASE, RELEASES, UPDATE, release

WINDOW = f"updatedFrom={BASE:%Y-%m-%dT%H:%M:%S}&updatedTo={BASE + timedelta(days=1):%Y-%m-%dT%H:%M:%S}"


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
    # merged with the procedure's first release, not blanked by the amendment's few fields
    assert updated.buyer_name == "Council 5" and updated.estimated_value == 120000 and updated.cpv_main == "77310000"


def test_windows_are_split_not_cursor_followed_and_a_rerun_starts_at_the_watermark(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_ocds([*RELEASES, UPDATE], page_limit=8, throttle=1) as fts:
        until, later = (BASE + timedelta(days=10)).isoformat(), (BASE + timedelta(days=11)).isoformat()
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: fts, kind: ocds, url: '{fts.url}', min_interval: 0, allow_private: true, limit: 8,"
            f" backoff: 0, rate_window: 0, first_days: 40, until: '{until}'}}\n"
        )
        s = replace(settings, sources_file=tmp_path / "s.yaml")
        store = open_store(s)
        first = collect("fts", store, s)
        assert first.errors == [] and first.new + first.changed == 30 + 1  # the update arrives as a change
        assert len({t.tender.id for t in store.assessed()}) == 30  # one tender per procedure
        assert all(int(q["limit"]) == 8 for q in fts.requests) and len(fts.requests) > 5
        # Find a Tender's own time form: 19 characters, UK local time, no Z (the fake refuses one).
        assert all(len(q["updatedFrom"]) == 19 and "Z" not in q["updatedTo"] for q in fts.requests)
        amended = store.get("fts:ocds-h6vhtk-000005")
        assert amended is not None and amended.title == "Grounds maintenance 5 (amended)"
        # The amendment came in a later window than the tender: its earlier releases were asked for and merged.
        assert fts.processes == ["ocds-h6vhtk-000005"]
        assert amended.buyer_name == "Council 5" and amended.estimated_value == 120000
        assert len(store.history("fts:ocds-h6vhtk-000005")) == 1  # the first release kept as history
        fts.requests.clear()
        assert collect("fts", store, s).new == 0 and fts.requests == []  # nothing since: no empty window asked for
        (tmp_path / "s.yaml").write_text((tmp_path / "s.yaml").read_text().replace(until, later))
        again = collect("fts", store, s)
        watermark = (BASE + timedelta(days=10)).astimezone(UK)  # Find a Tender's times are UK local
        assert fts.requests[0]["updatedFrom"] == f"{watermark:%Y-%m-%dT%H:%M:%S}"  # from the watermark on
        assert again.new == 0


def test_contracts_finder_is_the_same_source_with_its_own_parameter_names(settings: Settings, tmp_path: Path) -> None:
    with fake_ocds(RELEASES) as cf:
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: cf, kind: ocds, url: '{cf.contracts_finder}', min_interval: 0, allow_private: true,"
            " from_param: publishedFrom, to_param: publishedTo, params: {stages: tender}, first_days: 40,"
            f" until: '{(BASE + timedelta(days=10)).isoformat()}'}}\n"
        )
        s = replace(settings, sources_file=tmp_path / "s.yaml")
        store = open_store(s)
        assert collect("cf", store, s).errors == []
        assert cf.requests[0]["stages"] == "tender" and "publishedFrom" in cf.requests[0]
        assert all(q["limit"] == "100" for q in cf.requests)  # its page size is `limit`, 1 to 100
        vcse = store.get("cf:ocds-h6vhtk-000004")
        assert vcse is not None and vcse.vcse is True


def test_uk_reservations_lots_places_and_nations() -> None:
    lots = {"id": "T9", "title": "Catering", "items": [{"id": "1", "deliveryAddresses": [{"region": "UKD33"}]},
                                                       {"id": "2", "deliveryAddresses": [{"region": "UKD34"}]}],
        "lots": [{"id": "1", "title": "Café", "otherRequirements": {"reservedParticipation": ["shelteredWorkshop"]}},
                 {"id": "2", "title": "Kiosk", "suitability": {"vcse": True}}]}  # fmt: skip
    plain = release(9, **lots)
    plain["parties"][0]["address"] = {"countryName": "England"}  # Contracts Finder names the nation
    reserved = release(10, otherRequirements={"reservedParticipation": ["smeVcse"]})
    reserved["parties"][0]["address"] = {"countryName": "Wales"}
    data = json.dumps({"releases": [plain, reserved]}).encode()
    by_id = {t.notice_id: t for t in parse_ocds(data, "pkg", "cf")}
    catering, smevcse = by_id["ocds-h6vhtk-000009"], by_id["ocds-h6vhtk-000010"]
    assert catering.nuts == ["UKD33", "UKD34"] and catering.buyer_country == "GB"
    assert [lot.reserved_participation for lot in catering.lots] == [["res-ws"], []]
    assert catering.reserved_participation == ["res-ws"] and catering.vcse is True  # read at lot level too
    assert smevcse.vcse is True and smevcse.buyer_country == "GB"  # reserved to SMEs and VCSEs
    assert classify(smevcse).label == "suitable"


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


def test_a_window_in_the_hour_uk_clocks_go_back_is_asked_for_in_increasing_local_time(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_ocds(RELEASES) as fts:
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: fts, kind: ocds, url: '{fts.url}', min_interval: 0, allow_private: true,"
            " until: '2026-10-25T01:15:00+00:00'}\n"
        )
        s = replace(settings, sources_file=tmp_path / "s.yaml")
        store = open_store(s)
        store.save_fingerprints("fts", {"~updated-to": "2026-10-25T00:45:00Z"})  # 01:45 BST; until is 01:15 GMT
        assert collect("fts", store, s).errors == []
        (asked,) = fts.requests
        assert asked["updatedFrom"] == "2026-10-25T01:45:00" and asked["updatedTo"] > asked["updatedFrom"]


def source_file(tmp_path: Path, settings: Settings, url: str, **options: object) -> Settings:
    extra = "".join(f", {k}: {v}" for k, v in options.items())
    (tmp_path / "s.yaml").write_text(
        f"sources:\n  - {{name: uk, kind: ocds, url: '{url}', allow_private: true, first_days: 40,"
        f" until: '{(BASE + timedelta(days=10)).isoformat()}'{extra}}}\n"
    )
    return replace(settings, sources_file=tmp_path / "s.yaml")


def test_find_a_tender_is_paced_for_12_requests_in_2_minutes_and_its_429_waits_out_the_window(
    settings: Settings, tmp_path: Path
) -> None:
    """Its 429 says "12 request limit in 2 minute exceeded" without Retry-After (kingfisher-collect #1215)."""
    slept: list[float] = []
    with fake_ocds(RELEASES, throttle=1) as fts:
        client = PoliteClient("fts", contact="radar-tests@example.org", min_interval=0, allow_private=True,
                              sleep=slept.append)  # fmt: skip
        assert client.get(f"{fts.url}?{WINDOW}").status == 200
        assert slept == [120.0]  # the window, not a 1 s backoff that would be refused again
        s = source_file(tmp_path, settings, fts.url)
        [source] = load_sources(s.sources_file)
        assert source.client().min_interval == pytest.approx(10)  # 12 per 120 s, whatever the number of runs a day


def test_find_a_tenders_invalid_json_numbers_are_mended_before_parsing(settings: Settings, tmp_path: Path) -> None:
    """`` 000,`` and ``1e9999`` patched in the bytes as kingfisher-collect does (its #1270)."""
    releases = [release(1, value={"amount": 0, "currency": "GBP"}), release(2, value={"amount": -1, "currency": "GBP"})]
    with fake_ocds(releases, broken_numbers=True) as fts:
        s = source_file(tmp_path, settings, fts.url, min_interval=0)
        store = open_store(s)
        assert collect("uk", store, s).errors == []
        zero, huge = store.get("uk:ocds-h6vhtk-000001"), store.get("uk:ocds-h6vhtk-000002")
        assert zero is not None and zero.estimated_value == 0
        assert huge is not None and huge.estimated_value == 9999999  # not inf, which no JSON column takes


def test_a_one_minute_window_still_full_is_walked_by_its_cursor(settings: Settings, tmp_path: Path) -> None:
    same_minute = [{**release(i), "date": (BASE + timedelta(seconds=i)).isoformat()} for i in range(12)]
    with fake_ocds(same_minute, page_limit=5) as fts:
        s = source_file(tmp_path, settings, fts.url, min_interval=0)
        store = open_store(s)
        assert collect("uk", store, s).new == 12  # was 5: the pages past the first were dropped
        assert any("cursor" in q for q in fts.requests)


def test_contracts_finder_throttles_with_403_and_sends_latin_1(settings: Settings, tmp_path: Path) -> None:
    cafe = release(1, title="Café and kiosk at the leisure centre")
    with fake_ocds([cafe], forbidden=2) as cf:
        s = source_file(tmp_path, settings, cf.contracts_finder, min_interval=0, throttle_403=0,
                        from_param="publishedFrom", to_param="publishedTo")  # fmt: skip
        [source] = load_sources(s.sources_file)
        assert source.client().throttle_403 == 0 and source.http_defaults()["throttle_403"] == pytest.approx(300)
        store = open_store(s)
        assert collect("uk", store, s).errors == []  # two 403s waited out (0 s here), then read
        tender = store.get("uk:ocds-h6vhtk-000001")
        assert tender is not None and tender.title == "Café and kiosk at the leisure centre"


def test_a_region_name_is_a_place_only_when_it_is_known() -> None:
    """Contracts Finder's ``region`` holds names: "North East" was read as the country NO."""
    named = release(1, items=[{"id": "1", "deliveryAddresses": [{"region": "North East"}]}])
    named["parties"][0]["address"] = {"region": "North East"}
    unknown = release(2, items=[{"id": "1", "deliveryAddresses": [{"region": "Somewhere Else"}]}])
    unknown["parties"][0]["address"] = {"region": "Somewhere Else"}
    by_id = {t.notice_id: t for t in parse_ocds(json.dumps({"releases": [named, unknown]}).encode(), "pkg", "cf")}
    north_east, elsewhere = by_id["ocds-h6vhtk-000001"], by_id["ocds-h6vhtk-000002"]
    assert north_east.nuts == ["UKC"] and north_east.buyer_nuts == "UKC" and north_east.buyer_country == "GB"
    assert elsewhere.nuts == [] and elsewhere.buyer_nuts is None and elsewhere.buyer_country is None  # not "SO"
