"""Reminders to interested enterprises (advertised now; 7 days before the deadline) and a buyer's
dialogue invitation, each exactly once through the buyers' outbox, the invitation with Reply-To.

Organisations, people, addresses and numbers here are invented.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from notifications.senders.base import Message
from notifications.senders.outbox import OutboxSender
from radar.buyers.interest import raise_hand
from radar.buyers.notices import BuyerError, add_buyer, edit, publish, withdraw
from radar.buyers.reminders import INVITATIONS_PER_NOTICE, invite, queue_reminders, send_buyer_messages
from radar.pipeline import run_once
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.store import Store, drop_schema, new_schema, open_store, utcnow
from tenders.store.buyers import BuyerOrg, BuyerStore

ORG = "999999-9999"  # invented
BUYER_MAIL = "upphandling@dala-inkop.example.org"
KEYS = {"dala-stad": "hej@dalastad.example.org", "mora-cafe": "kontakt@moracafe.example.org"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    entries = "".join(
        f"  - {{key: {key}, organisation: {key} (invented), email: {mail}, regions: [SE312], frequency: daily}}\n"
        for key, mail in KEYS.items()
    )
    (tmp_path / "subscribers.yaml").write_text("subscribers:\n" + entries, encoding="utf-8")
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "remind-secret-" + "r" * 20,
                          "TENDER_RADAR_WORKERS": "1"})  # fmt: skip


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield open_store(load_settings({"TENDER_RADAR_HOME": str(tmp_path)}))
        return
    s = Store(new_schema(request.getfixturevalue("pg_url"), "buyers"))
    s.migrate()
    yield s
    s.engine.dispose()
    drop_schema(s.url)


@pytest.fixture
def org(store: Store) -> BuyerOrg:
    return add_buyer(store, "Dala Inköp (invented)", ORG, ["Dalarna"], BUYER_MAIL).org


def planned(store: Store, org: BuyerOrg) -> str:
    expected = (clock.today() + timedelta(days=60)).isoformat()
    body = {"title": "Lokalvård förskolor (invented)", "status": "planned", "procedure_id": "UH-2027-001",
            "expected_publication": expected, "cpv_main": "90910000"}  # fmt: skip
    return publish(store, org, body, "token:test", base_url="http://localhost:8000").tender.id


def mails(settings: Settings) -> list[email.message.EmailMessage]:
    folder = settings.outbox_dir
    found = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in found]


def text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def test_interested_enterprises_hear_once_that_a_planned_procurement_is_advertised(
    settings: Settings, store: Store, org: BuyerOrg
) -> None:
    ident = planned(store, org)
    raise_hand(settings, store, "dala-stad", ident, note="Vi är intresserade")
    run_once(settings)
    assert [m["Subject"] for m in mails(settings)] == []  # planned, not advertised: nothing to remind of
    advert = Tender(source="municipal-page", notice_id="a1", procedure_id="UH-2027-001", notice_type="competition",
                    title="Lokalvård förskolor", buyer_org_id=ORG, nuts=["SE312"],
                    url="https://example.org/annons/a1 (invented)",
                    deadline=(clock.today() + timedelta(days=30)).isoformat())  # fmt: skip
    assert store.upsert([advert]).linked == 1
    summary = run_once(settings)
    assert summary["delivered"]["buyers"]["advertised"] == 1 and summary["delivered"]["buyers"]["sent"] == 1
    reminders = [m for m in mails(settings) if m["Subject"].startswith("Nu annonseras")]
    assert [m["To"] for m in reminders] == [KEYS["dala-stad"]]
    assert "https://example.org/annons/a1" in text(reminders[0])
    run_once(settings)
    assert len([m for m in mails(settings) if m["Subject"].startswith("Nu annonseras")]) == 1  # once


def test_no_advertised_reminder_once_the_deadline_has_passed(settings: Settings, store: Store, org: BuyerOrg) -> None:
    ident = planned(store, org)
    raise_hand(settings, store, "dala-stad", ident)
    deadline = clock.today() + timedelta(days=30)
    opened = {"title": "Lokalvård förskolor (invented)", "status": "open", "procedure_id": "UH-2027-001",
              "deadline": deadline.isoformat(), "cpv_main": "90910000"}  # fmt: skip
    edit(store, org, ident, opened, "token:test", base_url="http://localhost:8000")
    after = datetime.combine(deadline + timedelta(days=1), datetime.min.time())  # the run that comes too late
    assert queue_reminders(settings, store, after) == {"advertised": 0, "deadline": 0}


def test_a_buyer_opening_its_planned_procurement_reminds_the_interested(
    settings: Settings, store: Store, org: BuyerOrg
) -> None:
    ident = planned(store, org)
    raise_hand(settings, store, "dala-stad", ident)
    assert queue_reminders(settings, store)["advertised"] == 0
    opened = {"title": "Lokalvård förskolor (invented)", "status": "open", "procedure_id": "UH-2027-001",
              "deadline": (clock.today() + timedelta(days=30)).isoformat(), "cpv_main": "90910000"}  # fmt: skip
    edit(store, org, ident, opened, "token:test", base_url="http://localhost:8000")
    assert queue_reminders(settings, store)["advertised"] == 1
    assert queue_reminders(settings, store)["advertised"] == 0


def test_the_deadline_reminder_comes_7_days_before_and_once(settings: Settings, store: Store, org: BuyerOrg) -> None:
    deadline = clock.today() + timedelta(days=20)
    body = {"title": "Fönsterputs (invented)", "status": "open", "deadline": deadline.isoformat()}
    ident = publish(store, org, body, "token:test", base_url="http://localhost:8000").tender.id
    raise_hand(settings, store, "dala-stad", ident)
    raise_hand(settings, store, "mora-cafe", ident)
    BuyerStore(store).withdraw_interest(ident, "mora-cafe")  # a hand taken down gets no reminder
    assert queue_reminders(settings, store)["deadline"] == 0  # 20 days left
    eight_days_before = datetime.combine(deadline - timedelta(days=8), datetime.min.time())
    assert queue_reminders(settings, store, eight_days_before)["deadline"] == 0
    week_before = datetime.combine(deadline - timedelta(days=7), datetime.min.time())
    assert queue_reminders(settings, store, week_before)["deadline"] == 1
    assert queue_reminders(settings, store, week_before + timedelta(days=2))["deadline"] == 0
    done = send_buyer_messages(settings, store, OutboxSender(settings.outbox_dir))
    assert done["sent"] == 1
    (reminder,) = mails(settings)
    assert reminder["To"] == KEYS["dala-stad"] and "om 7 dagar" in reminder["Subject"]


def test_a_send_interrupted_after_the_provider_took_it_is_not_sent_again(
    settings: Settings, store: Store, org: BuyerOrg
) -> None:
    body = {
        "title": "Fönsterputs (invented)",
        "status": "open",
        "deadline": (clock.today() + timedelta(days=3)).isoformat(),
    }
    ident = publish(store, org, body, "token:test", base_url="http://localhost:8000").tender.id
    raise_hand(settings, store, "dala-stad", ident)
    queue_reminders(settings, store)
    buyers = BuyerStore(store)
    (row,) = buyers.due_messages()
    buyers.begin_message(row.id)  # the run dies after the provider accepted the message
    sender = OutboxSender(settings.outbox_dir)
    sender.send(Message(key=row.id, to=row.email, subject=row.subject, html="", text=row.body,
                        from_email="a@example.org", from_name="x"))  # fmt: skip
    assert send_buyer_messages(settings, store, sender)["sent"] == 0  # still "sending": not stale yet
    later = send_buyer_messages(settings, store, sender, utcnow() + timedelta(minutes=11))
    assert later["recovered"] == 1 and later["sent"] == 0 and len(mails(settings)) == 1


def test_a_dialogue_invitation_goes_to_those_who_agreed_with_the_buyer_as_reply_to(
    settings: Settings, store: Store, org: BuyerOrg
) -> None:
    ident = planned(store, org)
    raise_hand(settings, store, "dala-stad", ident, share_contact=True)
    raise_hand(settings, store, "mora-cafe", ident, share_contact=False)
    assert invite(settings, store, org, ident, "Välkommen till dialogmöte den 3 mars (invented).", "user:dala") == 1
    send_buyer_messages(settings, store, OutboxSender(settings.outbox_dir))
    (invitation,) = mails(settings)
    assert invitation["To"] == KEYS["dala-stad"] and invitation["Reply-To"] == BUYER_MAIL
    assert "dialogmöte den 3 mars" in text(invitation)
    assert invite(settings, store, org, ident, "En fråga till (invented).", "user:dala") == 1  # a second one
    assert [a.action for a in BuyerStore(store).audit_log()][:2] == ["invite", "invite"]
    for n in range(3, INVITATIONS_PER_NOTICE + 1):
        assert invite(settings, store, org, ident, f"Påminnelse {n} (invented).", "user:dala") == 1
    with pytest.raises(BuyerError, match=f"at most {INVITATIONS_PER_NOTICE} dialogue invitations"):
        invite(settings, store, org, ident, "En till (invented).", "user:dala")  # a stolen token is no mailing list
    other = add_buyer(store, "Utan adress (invented)", "999999-8884", ["Dalarna"]).org
    with pytest.raises(BuyerError, match="no contact address"):
        mine = publish(store, other, {"title": "Planerat (invented)", "status": "planned",
                                      "expected_publication": "2030-01-01"}, "t", base_url="x").tender.id  # fmt: skip
        invite(settings, store, other, mine, "Hej", "user:x")
    with pytest.raises(BuyerError):
        invite(settings, store, other, ident, "Hej", "user:x")  # not its notice
    advertised = publish(store, org, {"title": "Lokalvård (invented)", "status": "open", "nuts": ["SE312"],
                                      "deadline": (clock.today() + timedelta(days=30)).isoformat()}, "t",
                         base_url="x").tender.id  # fmt: skip
    with pytest.raises(BuyerError, match="only for a planned procurement"):
        invite(settings, store, org, advertised, "Hej", "user:dala")  # open: every bidder must hear the same


def test_two_invitations_posted_at_the_same_instant_both_reach_the_enterprise(
    settings: Settings, store: Store, org: BuyerOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = planned(store, org)
    raise_hand(settings, store, "dala-stad", ident, share_contact=True)
    # both posts count the invitations before either has claimed its number: they start at the same one
    monkeypatch.setattr(BuyerStore, "invitations_sent", lambda self, tender_id: 0)
    assert invite(settings, store, org, ident, "Dialogmöte 3 mars (invented).", "user:a") == 1
    assert invite(settings, store, org, ident, "Ny tid: 5 mars (invented).", "user:b") == 1
    send_buyer_messages(settings, store, OutboxSender(settings.outbox_dir))
    bodies = [text(m) for m in mails(settings)]
    assert any("3 mars" in b for b in bodies) and any("5 mars" in b for b in bodies)


def test_the_cap_on_invitations_holds_when_the_last_two_are_posted_at_the_same_instant(
    settings: Settings, store: Store, org: BuyerOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = planned(store, org)
    raise_hand(settings, store, "dala-stad", ident, share_contact=True)
    for n in range(1, INVITATIONS_PER_NOTICE):
        invite(settings, store, org, ident, f"Inbjudan {n} (invented).", "user:a")
    # both of the last posts counted four before either claimed the fifth
    monkeypatch.setattr(BuyerStore, "invitations_sent", lambda self, tender_id: INVITATIONS_PER_NOTICE - 1)
    assert invite(settings, store, org, ident, "Den sista (invented).", "user:a") == 1
    with pytest.raises(BuyerError, match=f"at most {INVITATIONS_PER_NOTICE} dialogue invitations"):
        invite(settings, store, org, ident, "En för mycket (invented).", "user:b")
    send_buyer_messages(settings, store, OutboxSender(settings.outbox_dir))
    assert len(mails(settings)) == INVITATIONS_PER_NOTICE


def test_a_suppressed_address_gets_no_reminder(settings: Settings, store: Store, org: BuyerOrg) -> None:
    body = {
        "title": "Fönsterputs (invented)",
        "status": "open",
        "deadline": (clock.today() + timedelta(days=3)).isoformat(),
    }
    ident = publish(store, org, body, "token:test", base_url="http://localhost:8000").tender.id
    raise_hand(settings, store, "dala-stad", ident)
    store.suppress(KEYS["dala-stad"], "bounced")
    queue_reminders(settings, store)
    assert send_buyer_messages(settings, store, OutboxSender(settings.outbox_dir))["suppressed"] == 1
    assert mails(settings) == []


def test_the_buyers_tables_on_both_databases(store_both: Store, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Publish, edit, withdraw, interest and the once-only claim behave the same on SQLite and PostgreSQL."""
    store = store_both
    org = add_buyer(store, "Dala Inköp (invented)", ORG, ["Dalarna"], BUYER_MAIL).org
    body = {
        "title": "Fönsterputs (invented)",
        "status": "open",
        "deadline": (clock.today() + timedelta(days=3)).isoformat(),
    }
    ident = publish(store, org, body, "token:test", base_url="http://localhost:8000").tender.id
    assert edit(store, org, ident, {**body, "title": "Fönsterputs i skolor (invented)"}, "t", base_url="x").changed
    buyers = BuyerStore(store)
    who = {"organisation": "X (invented)", "email": KEYS["dala-stad"], "sectors": ["städ"]}
    buyers.save_interest(ident, "dala-stad", who, note=None, capacity=None, joint_bid=True, share_contact=True)
    assert buyers.interest_counts([ident]) == {ident: 1}
    assert buyers.queue_message("deadline", "dala-stad", ident, email="a@example.org", subject="s", body="b")
    assert buyers.queue_message("deadline", "dala-stad", ident, email="a@example.org", subject="s", body="b") is None
    assert buyers.withdraw_interest(ident, "dala-stad") and buyers.interest(ident) == []
    assert buyers.claim_invitation(ident, "user:a", 2) == 1
    monkeypatch.setattr(BuyerStore, "invitations_sent", lambda self, tender_id: 0)  # a post that counted late
    assert buyers.claim_invitation(ident, "user:b", 2) == 2
    assert buyers.claim_invitation(ident, "user:c", 2) is None
    withdraw(store, org, ident, "t")
    assert [a.action for a in buyers.audit_log()][:3] == ["withdraw", "edit", "publish"]


def test_invitations_sent_before_the_claim_table_still_count_towards_the_cap(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    from tenders.store import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0015_facts")
        conn.execute(sql("INSERT INTO tenders (id, source, notice_id, notice_type, title, content_hash, version, data,"
                         " first_seen, updated_at) VALUES ('buyer:1', 'buyer', '1', 'planned', 'Planerat', 'h', 1,"
                         " '{}', :now, :now)"), {"now": utcnow()})  # fmt: skip
        # numbers 1, 2 and 2 again: two posts at the same instant once shared a number
        for number in (1, 2, 2):
            conn.execute(sql("INSERT INTO buyer_audit (at, actor, org_number, action, tender_id, detail) VALUES"
                             " (:now, 'user:a', :org, 'invite', 'buyer:1', :detail)"),
                         {"now": utcnow(), "org": ORG.replace("-", ""),
                          "detail": f'{{"number": {number}, "recipients": 1}}'})  # fmt: skip
    engine.dispose()
    store = Store(url)
    store.migrate()
    buyers = BuyerStore(store)
    assert buyers.invitations_sent("buyer:1") == 2
    assert [buyers.claim_invitation("buyer:1", "user:a", 5) for _ in range(4)] == [3, 4, 5, None]
