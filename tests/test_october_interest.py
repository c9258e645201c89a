"""The October report counts the interest enterprises showed in the county's buyers' own notices
(it used to say "no data: buyers' notices are not kept", though they are kept).

Organisations, people, addresses and numbers here are invented.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from radar.buyers.interest import lower_hand, raise_hand
from radar.buyers.notices import add_buyer, publish
from radar.reports.october import build_report
from radar.reports.render import render_html
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerStore

ORG_BUYER, ORG_ENTERPRISE = "999999-9999", "999999-7779"  # invented
YEAR = clock.today().year


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(
        "subscribers:\n"
        "  - {key: dala-stad, organisation: Dala Städ kooperativ (invented), email: hej@dalastad.example.org,\n"
        f"     org_number: '{ORG_ENTERPRISE}', regions: [SE312]}}\n"
        "  - {key: mora-tvatt, organisation: Mora Tvätt (invented), email: hej@moratvatt.example.org,\n"
        "     regions: [SE312]}\n",
        encoding="utf-8",
    )
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "interest-secret-" + "z" * 20})


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings)


def notice(store: Store, title: str) -> str:
    org = BuyerStore(store).org(ORG_BUYER.replace("-", ""))
    if org is None:
        org = add_buyer(store, "Dala Inköp (invented)", ORG_BUYER, ["Dalarna"]).org
    body = {"title": title, "status": "open", "deadline": (clock.today() + timedelta(days=30)).isoformat()}
    return publish(store, org, body, "token:test", base_url="http://localhost:8000").tender.id


def test_the_report_shows_the_interest_shown_in_the_countys_notices(settings: Settings, store: Store) -> None:
    cleaning, laundry = notice(store, "Städning av badhus (invented)"), notice(store, "Tvätt (invented)")
    raise_hand(settings, store, "dala-stad", cleaning)
    raise_hand(settings, store, "dala-stad", laundry)
    raise_hand(settings, store, "mora-tvatt", laundry)

    figures = build_report(store, "SE312", YEAR)["enterprises"]
    assert (figures["interest_shown"], figures["interested_enterprises"], figures["notices_with_interest"]) == (3, 2, 2)
    assert build_report(store, "SE313", YEAR)["enterprises"]["interest_shown"] == 0  # another county's notices
    assert build_report(store, "SE312", YEAR - 1)["enterprises"]["interest_shown"] == 0  # another year

    swedish = " ".join(render_html(build_report(store, "SE312", YEAR), "sv").split())
    assert 'visat intresse för köparnas annonser</td><td class="n">3</td>' in swedish
    assert 'företag som visat intresse</td><td class="n">2</td>' in swedish
    assert "sparas inte" not in swedish and "uppgift saknas" not in swedish
    english = " ".join(render_html(build_report(store, "SE312", YEAR), "en").split())
    assert 'interest shown in buyers\' notices</td><td class="n">3</td>' in english
    assert "not kept" not in english

    lower_hand(store, "mora-tvatt", laundry)  # a hand taken back does not count
    assert build_report(store, "SE312", YEAR)["enterprises"]["interest_shown"] == 2
