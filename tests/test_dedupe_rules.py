"""The procedure rules as pure functions: no database, only notices as the store would hold them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tenders.dedupe import head_of, linking_order, listed_before, procedure_deadline


@dataclass
class Row:  # invented notices: ids, titles and dates are examples
    id: str
    source: str = "ted"
    notice_type: str = "competition"
    title: str | None = "Städtjänster i förskolor"
    deadline: str | None = "2026-03-01"
    published: str | None = "2026-01-10"
    canonical_id: str | None = None
    first_seen: datetime = datetime(2026, 1, 10)


def test_a_later_change_notice_moves_the_deadline_an_earlier_one_does_not() -> None:
    later = Row("b", notice_type="change", deadline="2026-03-15", published="2026-02-01")
    earlier = Row("c", notice_type="change", deadline="2026-02-20", published="2026-01-01")
    assert procedure_deadline("2026-03-01", "2026-01-10", [later]) == "2026-03-15"
    assert procedure_deadline("2026-03-01", "2026-01-10", [earlier]) is None
    assert (
        procedure_deadline("2026-03-01", "2026-01-10", [Row("d", notice_type="result", published="2026-05-01")]) is None
    )
    assert procedure_deadline("2026-03-01", "2026-01-10", []) is None


def test_the_newest_of_several_changes_decides() -> None:
    first = Row("b", notice_type="change", deadline="2026-03-15", published="2026-02-01")
    second = Row("c", notice_type="change", deadline="2026-03-20", published="2026-02-05")
    assert procedure_deadline("2026-03-01", "2026-01-10", [second, first]) == "2026-03-20"


def test_a_procedure_id_links_to_its_buyers_head_only() -> None:
    heads = {"p-1": {"org:5560360793": "ted:1", None: "ted:0"}}
    assert head_of(heads, "p-1", "org:5560360793") == "ted:1"
    assert head_of(heads, "p-1", "org:2120000142") == "ted:0"  # an unknown buyer falls to the one without a key
    assert head_of(heads, "p-1", None) == "ted:1"
    assert head_of(heads, "p-2", "org:5560360793") is None
    assert head_of(heads, None, None) is None


def test_calls_are_linked_before_changes_and_results() -> None:
    rows = [Row("r", notice_type="result"), Row("c", notice_type="change"), Row("n", published="2026-01-11"),
            Row("m", published="2026-01-09")]  # fmt: skip
    assert [r.id for r in sorted(rows, key=linking_order)] == ["m", "n", "c", "r"]


def test_another_source_listing_the_same_procedure_is_found_a_yearly_retender_is_not() -> None:
    new = Row("kommun:1", source="kommun")
    next_year = Row("ted:2", deadline="2027-03-01")
    same = Row("ted:1")
    assert listed_before(new, [next_year, same]) is same
    assert listed_before(new, [next_year]) is None
    assert listed_before(new, [Row("ted:3", canonical_id="ted:1")]) is None  # links never chain
    assert listed_before(Row("ted:9"), [same]) is None  # one source never lists a procedure twice
