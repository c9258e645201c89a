"""A social enterprise on its own: subscribe, confirm, edit the profile, say "not relevant" from a
digest, unsubscribe; and what the feedback changes in the next digests."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from matching.feedback import refine
from matching.subscriptions import Subscriber
from notifications.tokens import feedback_token, make_token, profile_token
from radar.delivery import send_due
from radar.judging import judge
from radar.pipeline import match_and_queue
from radar.subscribers import active_subscribers
from tenders.config import Settings
from tenders.model import Tender
from tenders.store import Assessed, open_store, utcnow

from .conftest import outbox
from .helpers.dashboard_site import build, client, csrf


@pytest.fixture
def site(tmp_path: Path) -> Settings:
    return build(tmp_path)


def link(text: str, path: str) -> str:
    found = re.search(rf"http://localhost:8000{path}\?[^\s\"<>]+", text)
    assert found, f"no {path} link in the email"
    return found.group(0).replace("&amp;", "&").removeprefix("http://localhost:8000")


def test_subscribe_confirm_edit_feedback_and_unsubscribe(site: Settings) -> None:
    c = client(site)
    form = c.get("/subscribe?lang=en")
    assert form.status_code == 200 and 'for="email"' in form.text
    sent = c.post("/subscribe?lang=en", data={
        "csrf": csrf(form.text), "organisation": "Orsa Grönt Arbete", "email": "info@orsa-gront.example.org",
        "org_number": "556036-0793", "regions": "Orsa", "sectors": ["grounds", "snow"], "min_score": "40",
        "frequency": "daily", "language": "sv",
    })  # fmt: skip
    assert sent.status_code == 200 and "confirmation link to info@orsa-gront.example.org" in sent.text
    store = open_store(site)
    [row] = [r for r in store.signed_up() if r.email == "info@orsa-gront.example.org"]
    assert row.status == "pending"
    confirm = link(outbox(site.outbox_dir)["info@orsa-gront.example.org"], "/confirm")
    assert c.post(confirm).status_code == 200
    assert store.signed_up("active")[0].key == row.key

    profile_url = f"/profile?token={profile_token(site.secret_key(), row.key)}"
    page = c.get(profile_url)
    assert page.status_code == 200 and 'value="Orsa"' in page.text and 'value="grounds" checked' in page.text
    saved = c.post(profile_url, data={"csrf": csrf(page.text), "regions": "Dalarna", "sectors": ["cleaning"],
                                      "keywords": "städ, fönster", "min_score": "30", "frequency": "weekly",
                                      "language": "en"})  # fmt: skip
    assert saved.status_code == 200 and "Your profile is saved" in saved.text
    [me] = [s for s in active_subscribers(site, store) if s.key == row.key]
    assert (me.regions, me.frequency, me.language, me.min_score) == (("SE312",), "weekly", "en", 0.3)
    assert me.keywords == ("städ", "fönster") and me.email == "info@orsa-gront.example.org"  # the address stays

    # A digest for them carries the links; "not relevant" from it is stored.
    match_and_queue(store, [me], include_expired=True, now=utcnow())
    send_due(store, [me], _Memory(), site, now=utcnow() + timedelta(days=8))
    message = _Memory.sent[-1]
    assert "/profile?token=" in message.text and "/tenders/" in message.text
    [sent_digest] = [d for d in store.digests() if d.subscriber == row.key]
    tenders_in_it = len(sent_digest.tender_ids)
    assert tenders_in_it and message.html.count("relevant=0") == tenders_in_it  # one yes/no per tender
    assert message.text.count("relevant=0") == tenders_in_it
    assert "%%TR_" not in message.html + message.text  # every mark filled in
    feedback = link(message.text, "/feedback")
    tender_id = dict(p.split("=", 1) for p in urlsplit(feedback).query.split("&"))["tender"]
    page = c.get(feedback.replace("relevant=1", "relevant=0"))
    assert page.status_code == 200 and "Was this tender relevant" in page.text  # they chose English
    assert c.post(feedback, data={"csrf": csrf(page.text), "relevant": "0"}).status_code == 200
    assert [(f.tender_id, f.relevant) for f in store.feedback(row.key)] == [(tender_id.replace("%3A", ":"), False)]

    leave = c.get(profile_url)
    unsubscribe = re.search(r'href="(/unsubscribe\?token=[^"]+)"', leave.text)
    assert unsubscribe and c.post(unsubscribe.group(1)).status_code == 200
    assert not [s for s in active_subscribers(site, store) if s.key == row.key]


class _Memory:
    name = "memory"
    sent: list[Any] = []  # ruff: ignore[mutable-class-default] - a test double

    def find(self, key: str) -> str | None:
        return None

    def send(self, message: object) -> str:
        _Memory.sent.append(message)
        return "m"


def test_forged_expired_or_foreign_links_are_refused(site: Settings) -> None:
    c = client(site)
    secret = site.secret_key()
    for token in (make_token(secret, "profile", "x", valid_for=-1), make_token("wrong", "profile", "x", valid_for=99),
                  feedback_token(secret, "x"), "garbage"):  # fmt: skip
        page = c.get(f"/profile?token={token}")
        assert page.status_code == 400 and "Länken är ogiltig" in page.text
    bad_feedback = c.get(f"/feedback?token={profile_token(secret, 'x')}&tender=ted:091489-2019")
    assert bad_feedback.status_code == 400
    # A subscriber from the operator's file is not edited through the web.
    listed = c.get(f"/profile?token={profile_token(secret, 'falu-aterbruk')}")
    assert listed.status_code == 200 and "sköts av operatören" in listed.text
    # A good feedback link still needs the form's CSRF token and this site as origin.
    url = f"/feedback?token={feedback_token(secret, 'falu-aterbruk')}&tender=ted:091489-2019"
    page = c.get(url)
    assert c.post(url, data={"csrf": "forged", "relevant": "0"}).status_code == 400
    assert c.post(url, data={"csrf": csrf(page.text), "relevant": "0"},
                  headers={"origin": "https://evil.example"}).status_code == 400  # fmt: skip
    assert open_store(site).feedback() == []


def test_a_sign_up_with_mistakes_names_them_and_keeps_what_was_typed(site: Settings) -> None:
    c = client(site)
    form = c.get("/subscribe")
    response = c.post("/subscribe", data={"csrf": csrf(form.text), "organisation": "Nya Kooperativet",
                                          "email": "kontakt@nya.example.org", "regions": "Atlantis"})  # fmt: skip
    assert response.status_code == 400 and "Atlantis" in response.text and 'value="Nya Kooperativet"' in response.text


def item(n: int, score: float, cpv: str = "90910000") -> Assessed:
    tender = Tender(source="t", notice_id=str(n), title=f"Städning {n}", cpv_main=cpv)
    verdict = judge(tender)
    return Assessed(tender, score, "suitable", verdict.reasons, tender.content_hash())


def test_feedback_drops_the_tender_and_raises_the_bar_for_a_kind_turned_down_twice() -> None:
    me = Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.5)
    cleaning = [item(i, 0.65) for i in range(4)]
    strong = item(9, 0.8)
    gardening = item(10, 0.6, cpv="77310000")
    voted = {a.tender.id: a for a in cleaning[:2]}
    assert refine(me, [*cleaning, strong, gardening], {}, {}) == [*cleaning, strong, gardening]
    once = refine(me, [*cleaning, strong, gardening], {cleaning[0].tender.id: False}, voted)
    assert once == [*cleaning[1:], strong, gardening]  # one "no" drops that tender only
    votes = {cleaning[0].tender.id: False, cleaning[1].tender.id: False}
    twice = refine(me, [*cleaning, strong, gardening], votes, voted)
    assert twice == [strong, gardening]  # cleaning now needs 0.7; other work is untouched
    votes[cleaning[2].tender.id] = True
    voted[cleaning[2].tender.id] = cleaning[2]
    assert refine(me, [*cleaning, strong, gardening], votes, voted) == [cleaning[2], cleaning[3], strong, gardening]


def test_a_tender_called_not_relevant_never_comes_again_even_when_changed(site: Settings) -> None:
    store = open_store(site)
    me = Subscriber(key="falu-aterbruk", organisation="F", email="f@example.org", min_score=0.0, frequency="instant")
    t = Tender(source="x", notice_id="7", title="Lokalvård i Leksand", nuts=["SE312"], deadline="2099-01-01")
    store.upsert([t], {t.id: judge(t)})
    store.save_feedback(me.key, t.id, relevant=False)
    moved = replace(t, deadline="2099-02-01")
    store.upsert([moved], {t.id: judge(moved)})
    match_and_queue(store, [me], include_expired=True)
    assert t.id not in {d for row in store.digests() for d in (row.tender_ids or []) if row.subscriber == me.key}


def test_and_n_more_in_a_digest_leads_to_the_open_tenders_sent_best_first(tmp_path: Path) -> None:
    """The digest's cap: "och 1 till" links a page of every open tender sent to the subscriber, by name.
    The tenders are invented; Hofors kommun's organisation number is real (tenders/data/municipalities.csv)."""
    from fastapi.testclient import TestClient

    from radar.web.app import create_app
    from tenders.config import load_settings

    settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_DIGEST_MAX": "1"})
    store = open_store(settings)
    now = utcnow()
    open_until = f"{now + timedelta(days=30):%Y-%m-%d}T12:00:00+01:00"
    best = Tender(source="x", notice_id="best", title="Lokalvård i skolorna (påhittat exempel)", deadline=open_until,
                  buyer_org_id="2120002296", buyer_country="SE",
                  description="Upphandlingen är reserverad enligt 4 kap. 18 § LOU.")  # fmt: skip
    other = Tender(source="x", notice_id="other", title="Fönsterputs (påhittat exempel)", nuts=["SE313"],
                   deadline=open_until)  # fmt: skip
    store.upsert([best, other], {t.id: judge(t) for t in (best, other)})
    me = Subscriber(key="me", organisation="Me", email="me@example.org", min_score=0.0, frequency="weekly")
    match_and_queue(store, [me], now=now)
    _Memory.sent.clear()
    send_due(store, [me], _Memory(), settings, now=now + timedelta(days=8))
    (mail,) = _Memory.sent
    assert "Fönsterputs" not in mail.text and "och 1 till: http://localhost:8000/my-tenders?token=" in mail.text
    c = TestClient(create_app(settings), base_url="http://localhost:8000")
    page = c.get(link(mail.text, "/my-tenders"))
    assert page.status_code == 200 and "Era upphandlingar" in page.text
    text = re.sub(r"<[^>]+>", "", page.text)
    assert text.index("Lokalvård i skolorna") < text.index("Fönsterputs")  # best first
    assert "Köpare: Hofors kommun, org.nr 212000-2296" in text and "Plats: Gävleborgs län" in text
    day = now + timedelta(days=30)
    assert f"Sista anbudsdag: {day.day} " in text and "T12:00" not in text and "2120002296" not in text
    assert c.get("/my-tenders?token=profile.forged.1.x").status_code == 400
    tender_page = re.sub(r"<[^>]+>", " ", c.get("/tenders/x:best?lang=sv").text)
    assert "Hofors kommun, org.nr 212000-2296" in tender_page and "T12:00" not in tender_page
