"""A social enterprise watches a tender from any source: from the tender page opened from its digest,
it gets a reminder 7 days and 1 day before the deadline and a word when the procedure changes, is
withdrawn or awarded, each once however often the pipeline runs.

Organisations, addresses, numbers and notices here are invented.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from notifications.senders.outbox import OutboxSender
from notifications.tokens import feedback_token
from radar.buyers.interest import raise_hand
from radar.buyers.notices import BuyerError, add_buyer, edit, publish, withdraw
from radar.buyers.reminders import remind
from radar.delivery import send_due
from radar.pipeline import match_and_queue
from radar.subscribers import active_subscribers
from radar.watching import watch
from radar.web.app import create_app
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.store import Store, drop_schema, new_schema, open_store

from .helpers.dashboard_site import csrf

KEY, EMAIL = "mora-cafe", "kontakt@moracafe.example.org"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(
        f"subscribers:\n  - {{key: {KEY}, organisation: Mora Café kooperativ (invented), email: {EMAIL},\n"
        "     regions: [SE312], frequency: daily, min_score: 0.0}\n",
        encoding="utf-8",
    )
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "watch-secret-" + "w" * 20,
                          "TENDER_RADAR_WORKERS": "1"})  # fmt: skip


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def both(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Store]:
    """The store on SQLite and on PostgreSQL (a schema of its own)."""
    if request.param == "sqlite":
        yield open_store(settings)
        return
    s = Store(new_schema(request.getfixturevalue("pg_url"), "watch"))
    s.migrate()
    yield s
    s.engine.dispose()
    drop_schema(s.url)


def ted(notice: str, days: int, notice_type: str = "competition", **extra: object) -> Tender:
    """An invented TED notice (number, id, title) of 'Lokalvård Mora' whose deadline is ``days`` from today."""
    deadline = (clock.today() + timedelta(days=days)).isoformat()
    return Tender(source="ted", notice_id=notice, procedure_id="2c1d7e0a-mora-lokalvard", notice_type=notice_type,
                  title="Lokalvård Mora kommun (invented)", buyer_name="Mora kommun (invented)",
                  buyer_org_id="212000-2163", buyer_country="SE", cpv_main="90910000", deadline=deadline,
                  published=clock.today().isoformat(), url=f"https://ted.europa.eu/en/notice/-/detail/{notice}",
                  **extra)  # type: ignore[arg-type]  # fmt: skip


def mails(settings: Settings) -> list[email.message.EmailMessage]:
    found = sorted(settings.outbox_dir.glob("*.eml")) if settings.outbox_dir.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in found]


def subjects(settings: Settings) -> list[str]:
    return sorted(str(m["Subject"]) for m in mails(settings))


def run(settings: Settings, store: Store) -> dict[str, object]:
    return remind(settings, store, OutboxSender(settings.outbox_dir))


def days_later(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    """Move the project clock on (on top of ``make test-future``'s year ahead)."""
    monkeypatch.setenv(clock.SHIFT_ENV, str(clock.shift().total_seconds() / 86400 + days))


def test_watch_from_the_tender_page_then_the_7_and_1_day_reminders_each_once(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    tender = ted("700001-2027", days=10)
    store.upsert([tender])
    c = TestClient(create_app(settings))
    assert "/watch?" not in c.get(f"/tenders/{tender.id}").text  # no signed link: how to get one instead
    page = c.get(f"/tenders/{tender.id}?token={feedback_token(settings.secret_key(), KEY)}")  # from the digest
    found = re.search(r'href="(/watch\?[^"]+)"', page.text)
    assert page.status_code == 200 and found, page.text
    link = found.group(1).replace("&amp;", "&")
    assert "token=visit." in link  # the page's address carries an hour's token, not the digest's
    form = c.get(link)
    assert form.status_code == 200 and not store.watching(KEY, tender.id)  # opening a link changes nothing
    assert c.post(link, data={"csrf": "forged", "action": "watch"}).status_code == 403
    done = c.post(link, data={"csrf": csrf(form.text), "action": "watch"})
    assert done.status_code == 200 and "Ni bevakar nu upphandlingen" in done.text
    assert store.watching(KEY, tender.id) and "Sluta bevaka" in c.get(link).text

    run(settings, store)
    assert mails(settings) == []  # ten days left: nothing yet
    days_later(monkeypatch, 3)
    run(settings, store)
    run(settings, store)
    assert subjects(settings) == ["Sista anbudsdag om 7 dagar: Lokalvård Mora kommun (invented)"]
    [mail] = mails(settings)
    assert mail["To"] == EMAIL
    body = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/tenders/{tender.id}" in body and "/watch?token=feedback." in body  # how to stop watching
    days_later(monkeypatch, 6)
    run(settings, store)
    run(settings, store)
    assert subjects(settings) == ["Sista anbudsdag i morgon: Lokalvård Mora kommun (invented)",
                                  "Sista anbudsdag om 7 dagar: Lokalvård Mora kommun (invented)"]  # fmt: skip


def test_a_change_notice_and_the_award_are_each_told_once_with_the_new_deadline(
    settings: Settings, both: Store
) -> None:
    store = both
    tender = ted("700002-2027", days=40)
    store.upsert([tender])
    assert watch(store, KEY, tender.id) and not watch(store, KEY, tender.id)  # watching twice is watching
    run(settings, store)
    assert mails(settings) == []  # nothing has changed

    moved = (clock.today() + timedelta(days=50)).isoformat()
    store.upsert([ted("700003-2027", days=50, notice_type="change")])  # a TED change notice, same procedure
    assert any(x.tender_id == "ted:700003-2027" for x in store.listings(tender.id))
    run(settings, store)
    run(settings, store)
    assert subjects(settings) == ["Ändrad: Lokalvård Mora kommun (invented)"]
    body = mails(settings)[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert str(int(moved[8:10])) in body  # the new deadline, as a date people read

    store.upsert([ted("700004-2027", days=50, notice_type="result")])
    run(settings, store)
    run(settings, store)
    assert subjects(settings) == ["Tilldelad: Lokalvård Mora kommun (invented)",
                                  "Ändrad: Lokalvård Mora kommun (invented)"]  # fmt: skip


def test_a_buyers_edit_and_withdrawal_are_each_told_once_and_then_nothing_more(
    settings: Settings, store: Store
) -> None:
    org = add_buyer(store, "Dala Inköp (invented)", "999999-9999", ["Dalarna"], "inkop@dala.example.org").org
    deadline = (clock.today() + timedelta(days=30)).isoformat()
    body = {"title": "Catering äldreboende (invented)", "status": "open", "deadline": deadline, "cpv_main": "55520000"}
    notice = publish(store, org, body, "token:test", base_url="http://localhost:8000").tender
    watch(store, KEY, notice.id)
    edit(store, org, notice.id, {**body, "description": "Nu med två kök (invented)"}, "token:test",
         base_url="http://localhost:8000")  # fmt: skip
    run(settings, store)
    run(settings, store)
    assert subjects(settings) == ["Ändrad: Catering äldreboende (invented)"]
    withdraw(store, org, notice.id, "token:test")
    run(settings, store)
    run(settings, store)
    told = ["Ändrad: Catering äldreboende (invented)", "Återkallad: Catering äldreboende (invented)"]
    assert subjects(settings) == told
    edit_after = {**body, "description": "Ändrad efter återkallelsen (invented)"}
    with contextlib.suppress(BuyerError):  # a withdrawn notice may refuse edits: either way, nothing more is told
        edit(store, org, notice.id, edit_after, "token:test", base_url="http://localhost:8000")
    run(settings, store)
    assert subjects(settings) == told


def test_watched_from_the_digest_and_changed_it_is_in_the_next_digest_though_the_profile_no_longer_wants_it(
    settings: Settings, store: Store
) -> None:
    tender = ted("700005-2027", days=30)
    store.upsert([tender])
    store.queue_digest(KEY, EMAIL, "sv", store.assessed_by_ids([tender.id]))  # it was in a digest
    subscribers = active_subscribers(settings, store)
    send_due(store, subscribers, OutboxSender(settings.outbox_dir), settings)
    [digest_mail] = mails(settings)
    text = digest_mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"Bevaka: http://localhost:8000(/watch\?\S+)", text)
    assert found, text  # "Bevaka" beside the tender in the digest
    c = TestClient(create_app(settings))
    form = c.get(found.group(1))
    assert c.post(found.group(1), data={"csrf": csrf(form.text), "action": "watch"}).status_code == 200
    assert store.watching(KEY, tender.id)
    store.upsert([ted("700005-2027", days=45)])  # the deadline moves; its profile (SE312) does not match it
    match_and_queue(store, subscribers)
    assert not store.waiting_digests() and not store.due_digests()
    run(settings, store)  # the watch step: "Ändrad" now, and the next digest shows it among the changed
    [digest] = store.waiting_digests()
    assert digest.updated_ids == (tender.id,)


def test_watching_a_buyers_notice_one_has_shown_interest_in_brings_one_7_day_reminder_not_two(
    settings: Settings, store: Store
) -> None:
    org = add_buyer(store, "Dala Inköp (invented)", "999999-9999", ["Dalarna"], "inkop@dala.example.org").org
    deadline = (clock.today() + timedelta(days=7)).isoformat()
    body = {"title": "Tvätt av arbetskläder (invented)", "status": "open", "deadline": deadline, "cpv_main": "98310000"}
    notice = publish(store, org, body, "token:test", base_url="http://localhost:8000").tender
    raise_hand(settings, store, KEY, notice.id)
    watch(store, KEY, notice.id)
    run(settings, store)
    run(settings, store)
    assert subjects(settings) == ["Sista anbudsdag om 7 dagar: Tvätt av arbetskläder (invented)"]
