"""OCDS: Find a Tender's release packages by time window (split, not cursor-followed), mapped
into the tender model: reserved participation, VCSE suitability, updates and awards."""

from __future__ import annotations

import json
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from matching.classify import classify
from scrapers.ocds import parse_ocds
from tenders import clock
from tenders.config import Settings
from tenders.pipeline import collect, open_store

BASE = datetime.combine(clock.today() - timedelta(days=30), time(), UTC)  # inside the first run's 40 days

DEADLINE = f"{BASE + timedelta(days=49):%Y-%m-%d}T12:00:00Z"


def release(i: int, **tender: Any) -> dict[str, Any]:
    return {
        "ocid": f"ocds-h6vhtk-{i:06d}", "id": f"r{i}", "date": (BASE + timedelta(hours=7 * i)).isoformat(),
        "tag": ["tender"], "language": "en", "buyer": {"id": "GB-B1", "name": f"Council {i}"},
        "parties": [{"id": "GB-B1", "name": f"Council {i}", "roles": ["buyer"],
                     "address": {"countryName": "United Kingdom", "region": "UKI32"}}],
        "tender": {"id": f"T{i}", "title": f"Grounds maintenance {i}", "description": "Parks and verges.",
                   "value": {"amount": 120000, "currency": "GBP"}, "tenderPeriod": {"endDate": DEADLINE},
                   "classification": {"scheme": "CPV", "id": "77310000"}, **tender},
    }  # fmt: skip


RELEASES = [release(i) for i in range(30)]
RELEASES[3]["tender"]["otherRequirements"] = {"reservedParticipation": ["shelteredWorkshop"]}
RELEASES[4]["tender"]["suitability"] = {"sme": True, "vcse": True}
UPDATE = {**release(5, title="Grounds maintenance 5 (amended)"), "id": "r5b", "tag": ["tenderUpdate"],
          "date": (BASE + timedelta(hours=7 * 29 + 1)).isoformat()}  # fmt: skip


@contextmanager
def find_a_tender(
    limit_hits: int = 100, throttle: int = 0, names: tuple[str, str, str] = ("updatedFrom", "updatedTo", "limit")
) -> Generator[dict[str, Any]]:
    state: dict[str, Any] = {"requests": [], "throttle": throttle}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path not in ("/api/1.0/ocdsReleasePackages", "/Published/Notices/OCDS/Search"):
                self.send_response(404)
                self.end_headers()
                return
            if state["throttle"]:
                state["throttle"] -= 1
                self.send_response(429)
                self.send_header("Retry-After", "0")
                self.end_headers()
                return
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            state["requests"].append(q)
            low, high = (datetime.fromisoformat(q[k].replace("Z", "+00:00")) for k in names[:2])
            hits = [r for r in [*RELEASES, UPDATE] if low <= datetime.fromisoformat(r["date"]) < high]
            limit = min(int(q[names[2]]), limit_hits)
            body = {"releases": hits[:limit], "links": {"next": "https://x/cursor"} if len(hits) > limit else {}}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/api/1.0/ocdsReleasePackages"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


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
