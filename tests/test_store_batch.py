"""The store's batched writes (multi-row INSERTs, no ORM objects) on SQLite and PostgreSQL: one
batch from several sources is linked, judged and credited as before; storing it again changes
nothing; a batch that fails half-way leaves nothing of itself."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from radar.judging import judge
from scrapers.notices import iter_path
from tenders.model import Tender
from tenders.store import Store, TenderHistoryRow, TenderRow, Verdict, batch_write

from .conftest import FIXTURES

REGISTERED = "70248311"  # a winner of ted:00191536-2024, put in the register here (the register entry is invented)


def real_tenders() -> list[Tender]:
    return [t for t in iter_path(FIXTURES / "eforms-real") if isinstance(t, Tender)]


def mixed_batch() -> tuple[list[Tender], list[Tender], dict[str, Verdict]]:
    """The real notices, each competition also listed on a municipality's page (another source, no
    procedure id: invented copies) and two of them changed by a later TED change notice (invented)."""
    originals = real_tenders()
    competitions = [t for t in originals if t.notice_type == "competition"]
    copies = [replace(t, source="kommun", notice_id=f"page-{t.notice_id}", procedure_id=None) for t in competitions]
    changes = [replace(t, notice_id=f"change-{t.notice_id}", notice_type="change") for t in competitions[:2]]
    judged = originals + changes
    return judged + copies, copies, {t.id: judge(t) for t in judged}  # the pages' copies are not yet classified


def snapshot(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(TenderRow.__table__).order_by(TenderRow.id))]


def test_a_batch_of_several_sources_is_one_tender_per_procedure_and_a_rerun_stores_nothing(store: Store) -> None:
    tenders, copies, verdicts = mixed_batch()
    store.import_register([{"org_number": REGISTERED, "name": "Enterprise 1", "sectors": []}])
    first = store.upsert(tenders, verdicts)
    assert len(first.new) == len(tenders) == 18 + 2 + len(copies)
    assert first.linked == len(copies) + 2
    for copy in copies:  # the page's listing and the TED notice are one tender with both listings
        original = f"ted:{copy.notice_id.removeprefix('page-')}"
        listed = {x.tender_id for x in store.listings(original)}
        assert {original, copy.id} <= listed
    heads = [a.tender.id for a in store.assessed()]
    assert len(heads) == 18 and all(h.startswith("ted:") for h in heads)
    assert {t.id for t in store.unassessed(next(iter(verdicts.values())).version)} == {c.id for c in copies}
    with store.session() as session:
        won = {row.id for row in session.scalars(select(TenderRow).where(TenderRow.won))}
    assert won == {"ted:00191536-2024"}  # the result whose winner is in the register

    before = snapshot(store)
    again = store.upsert(tenders, verdicts)
    assert again.new == [] and again.changed == [] and again.unchanged == len(tenders) and again.linked == 0
    assert snapshot(store) == before  # not a column written again


def test_a_changed_notice_keeps_its_links_facts_and_earlier_version(store: Store) -> None:
    tenders, copies, verdicts = mixed_batch()
    store.upsert(tenders, verdicts)
    original = next(t for t in tenders if t.id == f"ted:{copies[0].notice_id.removeprefix('page-')}")
    corrected = replace(original, title=f"{original.title} (rättad)")
    result = store.upsert([corrected], {corrected.id: judge(corrected)})
    assert result.changed == [original.id]
    assert store.get(original.id) == corrected
    assert [h["data"]["title"] for h in store.history(original.id)] == [original.title]
    assert {copies[0].id, original.id} <= {x.tender_id for x in store.listings(original.id)}


def test_a_batch_that_fails_half_way_leaves_nothing_of_itself(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    tenders, _, verdicts = mixed_batch()

    def broken(*_: object) -> int:
        raise RuntimeError("the database went away after the inserts")

    monkeypatch.setattr(batch_write, "link", broken)  # the tenders and winners are written by then
    with pytest.raises(RuntimeError):
        store.upsert(tenders, verdicts)
    assert store.count() == 0
    with store.session() as session:
        assert session.scalars(select(TenderHistoryRow)).first() is None
    monkeypatch.undo()
    assert len(store.upsert(tenders, verdicts).new) == len(tenders)


def test_text_with_tabs_newlines_and_backslashes_comes_back_as_it_went_in(store: Store) -> None:
    awkward = Tender(
        source="ted",
        notice_id="1-2026",
        notice_type="competition",
        title="Städ\tning \\N\nav skolor\r\n\\",
        description='C:\\städ\\ \\t \\\\ \t\n"citat" {"json": null}',
        buyer_name="Falu kommun\\",
    )  # invented: the characters COPY's text format escapes
    store.upsert([awkward], {awkward.id: judge(awkward)})
    assert store.get(awkward.id) == awkward
    assert [a.tender.title for a in store.assessed()] == [awkward.title]
