"""One procedure, one tender: the same procedure from TED and a municipal page, a TED change
notice that moves the deadline, and what must stay apart."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from matching.subscriptions import Subscriber
from notifications.readable import day_text
from notifications.senders.base import Message
from radar.delivery import send_due
from radar.judging import judge
from radar.pipeline import collect, match_and_queue
from tenders.config import Settings
from tenders.dedupe import buyer_key, title_similarity
from tenders.model import Tender
from tenders.store import Store, open_store, utcnow

from .conftest import fixture
from .fakes.web import site

TED_TITLE = (
    "Marché de service pour l'élaboration, la fabrication et la livraison de repas destinés aux "
    "structures intra-hospitalières de l'EPS Erasme"
)


def listing(title: str, deadline: str) -> str:
    return f"""<html><head><meta charset="utf-8"></head><body><ul>
<li class="t"><h3><a href="/u/1">{title}</a></h3><span class="d">Sista anbudsdag {deadline}</span></li>
</ul></body></html>"""


def configure(settings: Settings, tmp_path: Path, base: str) -> Settings:
    notices = tmp_path / "ted"
    notices.mkdir()
    shutil.copy(fixture("ted-real/eforms/19-090974-001-EXP.xml"), notices)
    (tmp_path / "sources.yaml").write_text(
        "sources:\n"
        "  - {name: ted, kind: ted_files, path: ted}\n"
        f"  - {{name: eps, kind: html, url: '{base}/upphandlingar', item: li.t, title: h3, deadline: .d,"
        " buyer: 'EPS Paul Guiraud', min_interval: 0, allow_private: true, terms_checked: 2026-11-27}\n"
    )
    return replace(settings, sources_file=tmp_path / "sources.yaml")


@pytest.mark.parametrize("order", [("ted", "eps"), ("eps", "ted")])
def test_a_ted_notice_and_a_municipal_listing_become_one_tender(
    settings: Settings, tmp_path: Path, order: tuple[str, str]
) -> None:
    page = listing(TED_TITLE.upper(), "22 mars 2019")  # another case, the deadline spelled out in Swedish
    with site({"/upphandlingar": ("text/html; charset=utf-8", page.encode())}) as base:
        s = configure(settings, tmp_path, base)
        store = open_store(s)
        for name in order:
            assert collect(name, store, s).new == 1
        assert store.count() == 2  # both notices kept, as their sources said them
        items = [a for a in store.assessed() if a.tender.title and "repas" in a.tender.title.lower()]
        assert len(items) == 1  # but matching and digests see one tender
        kept = items[0]
        assert kept.tender.source == order[0]  # the first seen stands for the procedure
        ted_url = "https://ted.europa.eu/en/notice/-/detail/091489-2019"
        assert [(x.source, x.url) for x in kept.also] == [(order[1], f"{base}/u/1" if order[1] == "eps" else ted_url)]
        assert {x.source for x in store.listings(kept.tender.id)} == {"ted", "eps"}


def test_a_listing_with_another_deadline_or_title_stays_apart(settings: Settings, tmp_path: Path) -> None:
    page = listing(TED_TITLE, "2020-03-22").replace(
        "</ul>",
        '<li class="t"><h3><a href="/u/2">Lokalvård i Falun</a></h3><span class="d">2019-03-22</span></li></ul>',
    )
    with site({"/upphandlingar": ("text/html; charset=utf-8", page.encode())}) as base:
        s = configure(settings, tmp_path, base)
        store = open_store(s)
        collect("ted", store, s)
        collect("eps", store, s)
        assert len(list(store.assessed())) == 3  # next year's tender of the same name, and another title


def test_a_change_notice_moves_the_deadline_and_comes_once_as_updated(store: Store, settings: Settings) -> None:
    day, now = timedelta(days=1), utcnow()
    published, changed_on = f"{now - 28 * day:%Y-%m-%d}", f"{now - 10 * day:%Y-%m-%d}"
    deadline, moved_to = f"{now + 60 * day:%Y-%m-%d}T12:00:00+01:00", f"{now + 90 * day:%Y-%m-%d}T12:00:00+01:00"
    original = Tender(
        source="ted", notice_id="100-2026", procedure_id="8F1C-P", notice_type="competition", title="Lokalvård",
        buyer_name="Falu kommun", buyer_org_id="212000-2080", nuts=["SE312"], published=published,
        deadline=deadline,
    )  # fmt: skip
    store.upsert([original], {original.id: judge(original)})
    subs = [Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.0, frequency="daily")]
    sent: list[Message] = []

    class Sender:
        name = "memory"

        def find(self, key: str) -> str | None:
            return None

        def send(self, message: Message) -> str:
            sent.append(message)
            return f"m{len(sent)}"

    def cycle(when: int) -> int:
        match_and_queue(store, subs, now=now + when * day)
        return int(send_due(store, subs, Sender(), settings, now=now + (when + 1) * day)["sent"])

    assert cycle(0) == 1
    change = replace(
        original, notice_id="200-2026", notice_type="change", published=changed_on,
        deadline=moved_to, procedure_id="8f1c-p ",  # the same id as TED spells it elsewhere
    )  # fmt: skip
    result = store.upsert([change], {change.id: judge(change)})
    assert result.linked == 1
    [item] = list(store.assessed())
    assert item.tender.id == original.id and item.tender.deadline == moved_to
    assert [x.tender_id for x in item.also] == [change.id]
    assert cycle(2) == 1
    assert "Ändrade sedan förra brevet" in sent[-1].text  # the subscriber reads Swedish
    assert day_text(date.fromisoformat(moved_to[:10]), "sv") in sent[-1].text  # "5 mars 2027"
    assert cycle(4) == 0  # once, not at every run
    # open_on follows the moved deadline: still open after the first deadline, until the moved one
    assert [a.tender.id for a in store.assessed(open_on=(now + 75 * day).date())] == [original.id]
    assert list(store.assessed(open_on=(now + 91 * day).date())) == []


def test_the_buyer_key_and_title_similarity() -> None:
    assert buyer_key("SE212000-2080", "Falu kommun") == buyer_key("2120002080", None) == "org:2120002080"
    assert buyer_key(None, "Falu Kommun") == buyer_key("", "falu kommun") == "name:falu"
    assert buyer_key(None, "Kommunen") is None  # a name that is only a legal form says nothing
    assert title_similarity("Lokalvård, Falun!", "lokalvård falun") > 0.99
    assert title_similarity("Lokalvård", "Vägbygge E16") < 0.5
