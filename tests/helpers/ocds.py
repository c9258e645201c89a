"""OCDS releases for the tests, dated around a month before the project's clock (no date bomb):
30 tenders, one reserved, one for VCSEs, and an amendment of the fifth. Served by ``fakes.ocds``."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from tenders import clock

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
# An amendment carries only what changed, as Find a Tender's do.
UPDATE = {"ocid": "ocds-h6vhtk-000005", "id": "r5b", "tag": ["tenderAmendment"], "language": "en",
          "date": (BASE + timedelta(hours=7 * 29 + 1)).isoformat(),
          "tender": {"id": "T5", "title": "Grounds maintenance 5 (amended)"}}  # fmt: skip
