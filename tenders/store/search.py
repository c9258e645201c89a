"""The open tenders' search (``/tenders``): words, filters, two orders, pages.

The words go to the full-text index migration ``0020_search`` keeps in step with the tenders by
itself (SQLite FTS5 through triggers, PostgreSQL a generated ``tsvector``), so no write path has
to remember it. A visitor's words are reduced to letters and digits before they reach either
query language: FTS5's and ``to_tsquery``'s syntax characters (quotes, ``*``, ``:``, ``&``,
``NEAR``'s parentheses) never arrive, so no input can make the query fail. Each word matches as a
prefix ("städ" finds "städning"); on PostgreSQL also by its Swedish and English stems ("skolor"
finds "skola").

The list conditions repeat the partial indexes' own words (``OPEN_SQL``, ``PLANNED_SQL``) so that
both databases can read a page from an index in order and stop after it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, and_, literal_column, not_, select, text
from sqlalchemy.sql.elements import TextClause

from tenders.results import Assessed
from tenders.store.composed import Store
from tenders.store.tables import TenderRow

# A procedure's head, in the words of migration 0020's partial indexes (SQLite's form keeps its
# planner, which has no statistics, off the canonical_id index and on the list's own).
HEADS = {"postgresql": "tenders.canonical_id IS NULL", "sqlite": "coalesce(tenders.canonical_id, '') = ''"}
OPEN_SQL = "{heads} AND tenders.notice_type IN ('competition', 'other')"
PLANNED_SQL = "{heads} AND tenders.notice_type = 'planning'"
NO_DEADLINE = "'9999-12-31'"  # sorts a tender without a deadline last, and keeps it open
DEADLINE_KEY = f"coalesce(tenders.deadline, {NO_DEADLINE})"  # as the index ix_tenders_open_deadline has it
MAX_WORDS, MAX_WORD = 8, 40
# What migration 0020 builds beside the models, in SQL they cannot say (an FTS5 table and its
# shadow tables, a generated tsvector column, expression and partial indexes). The schema test
# compares everything else with the models and checks that these exist.
BESIDE_THE_MODELS = {
    "sqlite": frozenset({"tender_search", "tender_search_config", "tender_search_data", "tender_search_docsize",
                         "tender_search_idx", "ix_tenders_open_deadline", "ix_tenders_open_score",
                         "ix_tenders_planned_score"}),
    "postgresql": frozenset({"search", "ix_tenders_search", "ix_tenders_sectors", "ix_tenders_open_deadline",
                             "ix_tenders_open_score", "ix_tenders_planned_score"}),
}  # fmt: skip
ORDERS = ("score", "deadline")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a visitor asked for; every value already checked (``radar.tender_search.read_query``)."""

    words: tuple[str, ...] = ()
    county: str | None = None  # NUTS 3, e.g. SE312
    municipality: str | None = None  # the short name the facts keep, e.g. "Falun"
    sector: str | None = None  # a typical sector's code, as the verdict keeps it
    label: str | None = None
    source: str | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    planned: bool = False  # planned procurements instead of open ones
    order: str = "score"  # score (the most suitable first) | deadline (the nearest first)
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: list[Assessed]
    has_next: bool


def search_words(text_: str) -> tuple[str, ...]:
    """The words of a visitor's text as the index knows them: letters and digits only, lower case,
    at most ``MAX_WORDS`` of at most ``MAX_WORD`` characters (the rest cannot narrow a search)."""
    words = dict.fromkeys(w.lower()[:MAX_WORD] for w in re.findall(r"[^\W_]+", text_))
    return tuple(words)[:MAX_WORDS]


class TenderSearch:
    """The search over a ``Store``'s tenders (a reader beside it, like ``BuyerStore``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def search(self, query: SearchQuery, today: date) -> SearchPage:
        """One page of the tenders open on ``today`` (deadline today or later, or none given)."""
        statement = self._statement(query, today)
        with self.store.session() as session:
            ids: list[str] = list(session.scalars(statement))
        has_next = len(ids) > query.per_page
        return SearchPage(self.store.assessed_by_ids(ids[: query.per_page]), has_next)

    def _statement(self, query: SearchQuery, today: date) -> Select[str]:
        deadline: ColumnElement[str] = literal_column(DEADLINE_KEY)
        conditions: list[ColumnElement[bool] | TextClause] = [
            self._listed(query.planned),
            TenderRow.score.is_not(None),
            deadline >= today.isoformat(),
            not_(and_(TenderRow.source.startswith("buyer:"), TenderRow.data["status"].as_string() == "withdrawn")),
        ]
        if query.words:
            conditions.append(self._matching(query.words))
        if query.county:
            conditions.append(TenderRow.county == query.county)
        if query.municipality:
            conditions.append(TenderRow.municipality == query.municipality)
        if query.sector:
            conditions.append(self._buying(query.sector))
        if query.label:
            conditions.append(TenderRow.label == query.label)
        if query.source:
            conditions.append(TenderRow.source == query.source)
        if query.deadline_from:
            conditions.append(TenderRow.deadline >= query.deadline_from.isoformat())
        if query.deadline_to:
            conditions.append(TenderRow.deadline < (query.deadline_to + timedelta(days=1)).isoformat())
        order = [deadline, TenderRow.id] if query.order == "deadline" else [TenderRow.score.desc(), TenderRow.id]
        return (
            select(TenderRow.id)
            .where(*conditions)
            .order_by(*order)
            .offset((query.page - 1) * query.per_page)
            .limit(query.per_page + 1)
        )

    def _listed(self, planned: bool) -> TextClause:
        """The heads of open (or planned) procedures, in the words of the list's partial indexes."""
        heads = HEADS["postgresql" if self._postgresql() else "sqlite"]
        return text((PLANNED_SQL if planned else OPEN_SQL).format(heads=heads))

    def _postgresql(self) -> bool:
        return self.store.engine.dialect.name == "postgresql"

    def _matching(self, words: tuple[str, ...]) -> TextClause:
        """Every word, as a prefix, in the title, the description or the buyer's name."""
        if self._postgresql():
            # The word's Swedish and English stems, or any word it begins. The stems alone would miss
            # compounds ("lokalvård" in "lokalvårdstjänster"); the prefix alone would leave the
            # planner guessing (PostgreSQL estimates every prefix at a fixed share of the rows, so
            # a word in every tender looked rare, and its 870,000 rows were read through the
            # index and sorted); with the stems beside it, a common word is known to be common and
            # the page is read in order from the list's index, stopping after 21 rows.
            each = [f"(to_tsquery('swedish'::regconfig, :w{i}) || to_tsquery('english'::regconfig, :w{i}) "
                    f"|| to_tsquery('simple'::regconfig, :p{i}))" for i in range(len(words))]  # fmt: skip
            values = {f"w{i}": w for i, w in enumerate(words)} | {f"p{i}": f"{w}:*" for i, w in enumerate(words)}
            return text(f"tenders.search @@ ({' && '.join(each)})").bindparams(**values)
        fts = " ".join(f'"{w}"*' for w in words)  # letters and digits only: the quotes are the only syntax
        # "+" keeps SQLite from fetching every matching row by its rowid and sorting them (229 ms for
        # a word in every tender at 50,000): the list's index is read in order and each entry's rowid
        # checked against the matches, from the index alone (18 ms; a word in none: 15 ms).
        return text("+tenders.rowid IN (SELECT rowid FROM tender_search WHERE tender_search MATCH :fts)").bindparams(
            fts=fts
        )

    def _buying(self, sector: str) -> TextClause:
        """The verdict names the sector: by CPV code, or predicted from the words."""
        if self._postgresql():
            return text("CAST(tenders.sectors AS JSONB) @> CAST(:sector AS JSONB)").bindparams(
                sector=json.dumps([{"sector": sector}])
            )
        return text(
            "EXISTS (SELECT 1 FROM json_each(tenders.sectors) "
            "WHERE json_extract(json_each.value, '$.sector') = :sector)"
        ).bindparams(sector=sector)
