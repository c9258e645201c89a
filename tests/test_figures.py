"""The coordinators' figures from SQL equal a plain count over the same tenders, follow a
re-assessment, a changed notice and a new register, and survive the migration of old rows."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table, select

from radar.reports.figures import county_reports
from tenders import clock
from tenders.facts import RESERVED_CODES, SEEN_TYPES, SOCIAL_CODES, county_of
from tenders.figures import CountyReport, Figures
from tenders.model import Tender
from tenders.orgnr import digits
from tenders.places import counties, municipalities_by_county, municipality_of
from tenders.results import Verdict
from tenders.store import MIGRATIONS, Store, drop_schema, new_schema

from .helpers.store_rows import standing_rows

YEAR = clock.today().year  # the project clock: tenders with no date count in the year they were first seen
REGISTER: list[dict[str, Any]] = [  # invented organisation numbers (ten digits), invented names
    {"org_number": f"55600000{i:02d}", "name": f"Enterprise {i}", "municipality": None, "county": None, "sectors": []}
    for i in range(5)
]
CODES = sorted(SOCIAL_CODES | {"cpv_cleaning", "text_other"})
TYPES = ["competition", "planning", "other", "result", "change"]


def random_tenders(n: int, seed: int = 20) -> tuple[list[Tender], dict[str, Verdict]]:
    """Tenders placed every way a tender can be (NUTS code, a municipality or a region as buyer,
    abroad, nowhere), in this year, last year or with no date; some linked to one procedure."""
    rnd = random.Random(seed)
    codes = sorted(counties())
    tenders, verdicts = [], {}
    for i in range(n):
        county = rnd.choice(codes)
        town = rnd.choice(municipalities_by_county()[county])
        way = rnd.randrange(5)
        buyer, nuts, buyer_nuts = f"Buyer {i} AB", [], None
        if way == 0:
            buyer_nuts = county
        elif way == 1:
            buyer = f"{town} kommun"
        elif way == 2:
            nuts = ["FR101", county]
        elif way == 3:
            buyer_nuts = rnd.choice(["DE300", "FR101", "PL911"])
        published = rnd.choice([f"{YEAR}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                                f"{YEAR - 1}-{rnd.randint(1, 12):02d}-15", None])  # fmt: skip
        kind = rnd.choice(TYPES)
        number = rnd.choice(REGISTER)["org_number"]  # written as TED writes it, or with a dash
        known = rnd.choice([f"SE{number}", f"{number[:6]}-{number[6:]}"])
        winners = [{"org_id": known if rnd.random() < 0.3 else f"SE55699999{i % 100:02d}"}
                   for _ in range(rnd.randint(0, 2))] if kind == "result" else []  # fmt: skip
        tender = Tender(source=rnd.choice(["ted", "kommers"]), notice_id=str(i), notice_type=kind,
                        procedure_id=f"proc-{i % 40}" if rnd.random() < 0.2 else None, title=f"Tender {i}",
                        buyer_name=buyer, buyer_nuts=buyer_nuts, nuts=nuts, published=published,
                        winners=winners)  # fmt: skip
        tenders.append(tender)
        if rnd.random() < 0.8:
            reasons = [{"code": c, "weight": rnd.choice([0, 1, 2])} for c in rnd.sample(CODES, rnd.randint(0, 3))]
            verdicts[tender.id] = Verdict(score=rnd.random(), label="possible", reasons=reasons, version="v1")
    return tenders, verdicts


def plain_count(store: Store, year: int) -> dict[str, CountyReport]:
    """The figures the old way: one pass in Python over every standing tender."""
    register = {e.org_number for e in store.register()}
    delivered: dict[str, int] = store.delivered_tenders()
    matched = store.matched_tenders()
    out = {code: CountyReport(county=code, year=year) for code in counties()}
    for row in standing_rows(store):
        county = county_of(row.data)
        if county is None:
            continue
        report = out[county]
        place = municipality_of(row.data.get("buyer_name"))
        town = place[0] if place and place[1] == county else None
        day = row.published or row.first_seen.date().isoformat()
        if town and row.notice_type in SEEN_TYPES:
            report.last_seen[town] = max(report.last_seen.get(town, ""), day)
        if not day.startswith(str(year)):
            continue
        codes = {r["code"] for r in row.reasons or [] if r.get("weight", 0) > 0}
        f = Figures()
        if row.notice_type in SEEN_TYPES:
            f.seen, f.social, f.reserved = 1, int(bool(codes & SOCIAL_CODES)), int(bool(codes & RESERVED_CODES))
            f.matched, f.delivered = int(row.id in matched), delivered.get(row.id, 0)
        elif row.notice_type == "result":
            f.won = int(any(digits(w.get("org_id")) in register for w in row.data.get("winners") or []))
        report.totals.add(f)
        report.by_month[int(day[5:7])].add(f)
        if town:
            report.by_municipality.setdefault(town, Figures()).add(f)
        if f.reserved:
            report.reserved_tenders.append({"id": row.id})
    return out


def figures(reports: dict[str, CountyReport]) -> dict[str, Any]:
    """Every number a page, a CSV or a report shows, as plain values to compare."""
    return {
        code: {
            "totals": r.totals,
            "months": r.by_month,
            "towns": {m: f for m, f in r.by_municipality.items() if f != Figures()},
            "last_seen": r.last_seen,
            "reserved": sorted(t["id"] for t in r.reserved_tenders),
        }
        for code, r in reports.items()
    }


def fill(store: Store, n: int = 300) -> list[Tender]:
    tenders, verdicts = random_tenders(n)
    store.upsert(tenders, verdicts)
    store.replace_register(REGISTER)
    chosen = store.assessed_by_ids([t.id for t in tenders[::7]])
    sent = store.queue_digest("s1", "s1@example.org", "sv", chosen[::2])
    store.queue_digest("s2", "s2@example.org", "sv", chosen)  # queued, never sent: matched, not delivered
    assert sent is not None
    store.mark_digest(sent, sent=True)
    return tenders


def test_the_aggregates_equal_a_plain_count_over_the_same_tenders(store: Store) -> None:
    fill(store)
    expected = plain_count(store, YEAR)
    assert sum(r.totals.seen for r in expected.values()) > 50  # the sample covers something
    assert sum(r.totals.won for r in expected.values()) > 3 and sum(r.totals.delivered for r in expected.values()) > 0
    got = county_reports(store, YEAR)
    assert figures(got) == figures(expected)
    wins = {(w.tender_id, w.org_number) for r in got.values() for w in r.wins}
    assert wins and {org for _, org in wins} <= {e["org_number"] for e in REGISTER}
    assert figures(county_reports(store, YEAR - 1)) == figures(plain_count(store, YEAR - 1))


def test_a_reassessment_a_change_and_a_new_register_move_a_tender_between_counts(store: Store) -> None:
    falun = Tender(source="ted", notice_id="f1", notice_type="competition", buyer_name="Falu kommun",
                   published=f"{YEAR}-03-02", procedure_id="P-1")  # fmt: skip
    plain = Verdict(score=0.1, label="unlikely", reasons=[], version="v1")
    store.upsert([falun], {falun.id: plain})

    def dalarna() -> CountyReport:
        return county_reports(store, YEAR, ["SE312"])["SE312"]

    before = dalarna()
    assert (before.totals.seen, before.totals.social, before.by_municipality["Falun"].seen) == (1, 0, 1)
    reserved = Verdict(score=0.9, label="likely", reasons=[{"code": "reserved_participation", "weight": 3}],
                       version="v2")  # fmt: skip
    store.save_verdicts([(falun, reserved)])
    after = dalarna()
    assert (after.totals.social, after.totals.reserved, after.by_month[3].reserved) == (1, 1, 1)
    assert [t["id"] for t in after.reserved_tenders] == [falun.id]

    # The notice is published again, changed: another buyer (Mora) and another month.
    moved = Tender(source="ted", notice_id="f1", notice_type="competition", buyer_name="Mora kommun",
                   published=f"{YEAR}-05-10", procedure_id="P-1")  # fmt: skip
    store.upsert([moved])
    now = dalarna()
    assert now.by_municipality["Falun"].seen == 0 and now.by_municipality["Mora"].reserved == 1
    assert (now.by_month[3].seen, now.by_month[5].seen, now.totals.seen) == (0, 1, 1)
    # A change notice of the same procedure stands under the first: counted once.
    change = Tender(source="ted", notice_id="f2", notice_type="change", buyer_name="Mora kommun",
                    published=f"{YEAR}-06-01", procedure_id="P-1")  # fmt: skip
    store.upsert([change])
    assert dalarna().totals.seen == 1 and dalarna().by_month[6] == Figures()
    # Moved out of Dalarna altogether: Gävleborg counts it now.
    store.upsert([Tender(source="ted", notice_id="f1", notice_type="competition", buyer_name="Gävle kommun",
                         published=f"{YEAR}-05-10", procedure_id="P-1")])  # fmt: skip
    both = county_reports(store, YEAR, ["SE312", "SE313"])
    assert both["SE312"].totals.seen == 0 and both["SE313"].totals.seen == 1

    result = Tender(source="ted", notice_id="r1", notice_type="result", buyer_name="Mora kommun",
                    published=f"{YEAR}-07-01", winners=[{"org_id": "SE5560000001"}])  # fmt: skip
    store.upsert([result])
    assert dalarna().totals.won == 0
    store.replace_register(REGISTER[:2])
    assert dalarna().totals.won == 1 and [w.enterprise for w in dalarna().wins] == ["Enterprise 1"]
    store.replace_register(REGISTER[2:])
    assert dalarna().totals.won == 0 and dalarna().wins == []


def _at_revision(url: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    store = Store(url)
    with store.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    store.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrating_old_rows_gives_the_figures_of_a_fresh_ingest(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        fresh_url, old_url = f"sqlite:///{tmp_path / 'fresh.sqlite'}", f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        pg = request.getfixturevalue("pg_url")
        fresh_url, old_url = new_schema(pg, "fresh"), new_schema(pg, "old")
    try:
        fresh = Store(fresh_url)
        fresh.migrate()
        fill(fresh, 400)
        _at_revision(old_url, "0010")  # the schema before the facts
        old = Store(old_url)
        with fresh.engine.connect() as source, old.engine.begin() as target:
            meta = MetaData()
            for name in ("tenders", "social_enterprises", "digests", "deliveries"):
                table = Table(name, meta, autoload_with=target)
                columns = [table.c[c.name] for c in table.columns]
                wanted = Table(name, MetaData(), autoload_with=source)
                rows = [dict(r._mapping) for r in source.execute(select(*[wanted.c[c.name] for c in columns]))]
                target.execute(table.insert(), rows)
        old.migrate()
        assert figures(county_reports(old, YEAR)) == figures(county_reports(fresh, YEAR))
        wins = [[(w.tender_id, w.org_number) for w in r.wins] for r in county_reports(old, YEAR).values()]
        assert wins == [[(w.tender_id, w.org_number) for w in r.wins] for r in county_reports(fresh, YEAR).values()]
        assert any(wins)
    finally:
        if backend == "postgresql":
            drop_schema(fresh_url)
            drop_schema(old_url)
