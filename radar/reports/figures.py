"""What the coordinators report: coverage, progress, blind spots and contracts won, per county.

The figures come from the store's one code path (``Store.county_reports``, a ``GROUP BY`` over
the tenders' indexed facts); the dashboard, its CSVs and the reports all read it here, so their
numbers cannot disagree. The names below stay importable from this module for its callers.
"""

from __future__ import annotations

from collections.abc import Iterable

from tenders.facts import RESERVED_CODES as RESERVED_CODES
from tenders.facts import SEEN_TYPES as SEEN_TYPES
from tenders.facts import SOCIAL_CODES as SOCIAL_CODES
from tenders.facts import county_of as county_of
from tenders.figures import BLIND_DAYS as BLIND_DAYS
from tenders.figures import CountyReport as CountyReport
from tenders.figures import Figures as Figures
from tenders.figures import Win as Win
from tenders.store import Store


def county_reports(
    store: Store, year: int, wanted: Iterable[str] | None = None, *, details: bool = True
) -> dict[str, CountyReport]:
    """Every wanted county's report for ``year`` (``details``: last seen, reserved tenders, wins)."""
    return store.county_reports(year, wanted, details=details)
