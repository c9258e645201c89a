"""One enterprise's inbox: a tender without a CPV or NUTS code reaches a profile only when its words
name the profile's sector and its buyer places it in the profile's counties.

Titles and buyers: "Tvätt av gardiner - Borlänge kommun" and UpphandlingsCenter's host Ludvika kommun
are from Upphandlingsmyndigheten's 2021 statistics (shared/README.md); the organisation numbers are
those of tenders/data/municipalities.csv (the same statistics). Every other title is invented.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matching.classify import classify
from matching.subscriptions import Subscriber, match_all, place_of, sector_threshold, typical_sectors
from tenders.model import Tender
from tenders.results import Assessed

from .conftest import PROJECT

LUDVIKA = "212000-2270"  # Ludvika kommun, which hosts UpphandlingsCenter (municipalities.csv)


def profile(key: str, **kw: object) -> Subscriber:
    return Subscriber(key=key, organisation=key, email=f"{key}@example.org", min_score=0.3, **kw)  # type: ignore[arg-type]


CLEANING = profile("cleaning", cpv=typical_sectors()["cleaning"])
CATERING = profile("catering", cpv=typical_sectors()["catering"])
DALARNA = profile("dalarna", regions=("SE312",))
GAVLEBORG = profile("gavleborg", regions=("SE313",))


def judged(title: str, **kw: object) -> Assessed:
    tender = Tender(source="feed", notice_id=title[:40], title=title, buyer_country="SE", **kw)  # type: ignore[arg-type]
    verdict = classify(tender)
    return Assessed(tender=tender, score=verdict.score, label=verdict.label, reasons=verdict.reasons,
                    content_hash="", sectors=tuple(verdict.sectors))  # fmt: skip


def inbox(subscribers: list[Subscriber], *items: Assessed) -> dict[str, list[str]]:
    return {key: [i.tender.title or "" for i in got] for key, got in match_all(subscribers, items).items()}


def test_a_sector_profile_gets_a_tender_without_a_cpv_code_only_when_its_words_name_the_sector() -> None:
    items = [judged("Städning av förskolor"), judged("Lokalvård i Gävle kommuns skolor"),
             judged("Måltidstransport till äldreboenden"), judged("Ombyggnad av skola")]  # fmt: skip
    got = inbox([CLEANING, CATERING], *items)
    assert got["cleaning"] == ["Städning av förskolor", "Lokalvård i Gävle kommuns skolor"]
    assert got["catering"] == ["Måltidstransport till äldreboenden"]  # was: every flagged tender, both profiles


def test_the_verdict_keeps_what_is_bought_by_code_or_by_words() -> None:
    by_code = classify(Tender(source="t", notice_id="1", title="Avtal", cpv_main="90911200"))
    assert by_code.sectors == [{"sector": "cleaning", "by": "cpv", "value": "90911200"}]
    by_words = classify(Tender(source="t", notice_id="2", title="Snöröjning och halkbekämpning"))
    assert by_words.sectors[0]["sector"] == "snow" and by_words.sectors[0]["by"] in ("words", "text")
    assert classify(Tender(source="t", notice_id="3", title="Ombyggnad av skola")).sectors == []
    assert 0.0 < sector_threshold() < 1.0  # chosen on held-out training titles (matching/data/sector-threshold.json)


def test_a_profile_may_ask_for_tenders_whose_sector_is_uncertain() -> None:
    tender = Tender(source="feed", notice_id="1", title="Transport av fika", buyer_country="SE")
    doubt = Assessed(tender=tender, score=0.4, label="possible", reasons=[], content_hash="",
                     sectors=({"sector": "catering", "by": "text", "probability": 0.3},))  # fmt: skip
    asks = profile("asks", cpv=typical_sectors()["catering"], sector_uncertain=True)
    assert CATERING.sector_fit(tender, doubt.sectors) == "uncertain"
    assert inbox([CATERING, asks, CLEANING], doubt) == {"catering": [], "asks": ["Transport av fika"], "cleaning": []}
    sure = Assessed(tender=tender, score=0.4, label="possible", reasons=[], content_hash="",
                    sectors=({"sector": "cleaning", "by": "words", "quote": "x"},))  # fmt: skip
    assert asks.sector_fit(tender, sure.sectors) == "no"  # the words say clearly: another sector


def test_a_tender_without_a_nuts_code_is_placed_by_its_buyer() -> None:
    ludvika = judged("Lokalvård i skolor", buyer_name="Ludvika kommun")
    by_number = judged("Lokalvård i förskolor", buyer_org_id=LUDVIKA, buyer_name="UpphandlingsCenter")
    gavle = judged("Lokalvård i Gävle kommuns skolor", buyer_name="Gävle kommun")
    got = inbox([DALARNA, GAVLEBORG], ludvika, by_number, gavle)
    assert got == {"dalarna": ["Lokalvård i skolor", "Lokalvård i förskolor"],
                   "gavleborg": ["Lokalvård i Gävle kommuns skolor"]}  # fmt: skip
    assert place_of(ludvika.tender) == {"county": "SE312", "county_name": "Dalarnas län", "municipality": "Ludvika",
                                        "by": "name"}  # fmt: skip


def test_a_joint_body_is_placed_by_the_member_its_title_names() -> None:
    curtains = Tender(source="t", notice_id="1", title="Tvätt av gardiner - Borlänge kommun", buyer_org_id=LUDVIKA,
                      buyer_name="Ludvika kommun")  # fmt: skip
    assert place_of(curtains) == {"county": "SE312", "county_name": "Dalarnas län", "municipality": "Borlänge",
                                  "by": "title"}  # fmt: skip


def test_a_tender_nothing_places_reaches_only_the_whole_country_and_who_asks() -> None:
    agency = judged("Städning av kontor", buyer_name="Trafikverket")
    sweden = profile("sweden", regions=("SE",))
    asks = profile("asks", regions=("SE312",), unplaced=True)
    assert place_of(agency.tender) is None
    assert inbox([DALARNA, sweden, asks], agency) == {"dalarna": [], "sweden": ["Städning av kontor"],
                                                      "asks": ["Städning av kontor"]}  # fmt: skip


def test_the_match_command_prints_each_tender_with_its_sectors_place_and_subscribers(tmp_path: Path) -> None:
    subscribers = tmp_path / "subscribers.yaml"
    subscribers.write_text(
        "subscribers:\n"
        "  - {key: dala-clean, email: a@example.org, regions: [Dalarna], sectors: [cleaning], min_score: 0.3}\n"
        "  - {key: gavle-food, email: b@example.org, regions: [Gävleborg], sectors: [catering], min_score: 0.3}\n",
        encoding="utf-8",
    )
    lines = "\n".join(json.dumps(t) for t in [
        {"id": "a", "title": "Städning av förskolor", "buyer_name": "Ludvika kommun", "buyer_country": "SE"},
        {"id": "b", "title": "Städning av förskolor", "buyer_name": "Gävle kommun", "buyer_country": "SE"},
        {"id": "c", "title": "Ombyggnad av skola", "buyer_name": "Ludvika kommun", "buyer_country": "SE"},
    ])  # fmt: skip
    env = {**os.environ, "TENDER_RADAR_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "radar.cli", "match", "--subscribers", str(subscribers)],
                          input=lines, capture_output=True, text=True, env=env, cwd=PROJECT, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert [o["subscribers"] for o in out] == [["dala-clean"], [], []]
    assert out[0]["place"]["county_name"] == "Dalarnas län" and out[0]["sectors"][0]["sector"] == "cleaning"
    assert set(out[0]) == {"id", "label", "score", "sectors", "place", "subscribers"}
    assert not list(tmp_path.glob("var/*.sqlite*"))  # no store was touched
    missing = subprocess.run([sys.executable, "-m", "radar.cli", "match", "--subscribers", str(tmp_path / "nope")],
                             input="", capture_output=True, text=True, env=env, cwd=PROJECT, timeout=120,
                             check=False)  # fmt: skip
    assert missing.returncode != 0 and "nope" in missing.stderr and "Traceback" not in missing.stderr


def test_eval_inbox_prints_the_table_and_keeps_the_county_targets() -> None:
    from radar.lab.inbox import measure, micro, run

    text = run()
    assert "| Dalarnas län |" in text and "| Gävleborgs län |" in text and "sector:cleaning" in text
    found = measure()
    precision, recall, _ = micro(found, "county:")
    assert precision >= 0.98 and recall >= 0.95  # the targets for county profiles, on the held-out fifth
    precision, recall, _ = micro(found, "sector:")
    assert precision >= 0.75 and recall >= 0.75  # measured 0.79 and 0.83 on 2026-12-05 (target 0.90 / 0.95: missed)


def test_the_sector_labels_are_the_ones_read_blind_and_split_as_the_models_split() -> None:
    import hashlib

    from radar.lab.labelled import SECTOR_LABELS_FILE, real_split_of, real_titles, sector_labels

    digest = hashlib.sha256(SECTOR_LABELS_FILE.read_bytes()).hexdigest()
    assert digest == SECTOR_LABELS_FILE.with_suffix(".sha256").read_text().strip(), (
        "uhm-2021-sector-labels.csv was edited after it was written: add new labels instead"
    )
    evaluation, choice = sector_labels("evaluation"), sector_labels("choice")
    assert set(evaluation) == {t.id for t in real_titles("evaluation")}  # every held-out title, none of training
    assert set(choice) == {t.id for t in real_titles("training") if real_split_of("cal:" + t.id) == "evaluation"}


def test_a_sector_label_that_is_not_ours_is_named_with_its_line(tmp_path: Path) -> None:
    from radar.lab.labelled import sector_labels

    bad = tmp_path / "labels.csv"
    bad.write_text("id,sectors,part\nA1,cleaning,choice\nA2,cleaning;plumbing,choice\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.csv line 3: sectors \['plumbing'\]"):
        sector_labels("choice", bad)


def test_a_digest_marks_a_tender_sent_only_because_its_sector_is_uncertain() -> None:
    from notifications.digest import render_digest

    tender = Tender(source="feed", notice_id="1", title="Transport av fika", buyer_country="SE")
    doubt = Assessed(tender=tender, score=0.4, label="possible", reasons=[], content_hash="h",
                     sectors=({"sector": "catering", "by": "text", "probability": 0.3},))  # fmt: skip
    asks = profile("asks", cpv=typical_sectors()["catering"], sector_uncertain=True)
    marked = render_digest(asks, [doubt])
    assert "Osäker bransch" in marked.text and "Osäker bransch" in marked.html
    sure = Assessed(tender=tender, score=0.4, label="possible", reasons=[], content_hash="h",
                    sectors=({"sector": "catering", "by": "words", "quote": "fika"},))  # fmt: skip
    assert "Osäker bransch" not in render_digest(asks, [sure]).text


def test_the_store_counts_each_sources_unplaced_swedish_tenders(tmp_path: Path) -> None:
    from tenders.store import Store

    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    store.migrate()
    store.upsert([
        Tender(source="feed", notice_id="1", title="Städning", buyer_name="Trafikverket", buyer_country="SE"),
        Tender(source="feed", notice_id="2", title="Städning", buyer_name="Ludvika kommun", buyer_country="SE"),
        Tender(source="feed", notice_id="3", title="Städning", buyer_name="Trafikverket"),
        Tender(source="ted", notice_id="4", title="Nettoyage", buyer_country="FR", nuts=["FR105"]),
    ])  # fmt: skip
    assert store.unplaced_by_source() == {"feed": (2, 3), "ted": (0, 1)}


def test_a_profile_opts_in_by_file_form_or_command_and_a_wrong_value_is_named() -> None:
    from matching.subscriptions import SubscriberError, parse_subscriber

    sub = parse_subscriber({"email": "a@example.org", "sector_uncertain": True, "unplaced": True}, "here")
    assert sub.sector_uncertain and sub.unplaced
    assert not parse_subscriber({"email": "a@example.org"}, "here").unplaced
    with pytest.raises(SubscriberError, match="here: 'unplaced' must be true or false, not 'ja'"):
        parse_subscriber({"email": "a@example.org", "unplaced": "ja"}, "here")
