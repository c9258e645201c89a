"""Fault injection: random 500s and 429s, a process killed in the middle of a batch, a rerun.

Afterwards every subscriber has received every matching tender exactly once: no digest
reached SendGrid twice, none was lost.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import yaml

from matching.subscriptions import load_subscribers, match_all
from notifications.senders.sendgrid import SendGridSender
from scrapers.notices import parse_document
from tenders import clock
from tenders.bench import notices
from tenders.config import Settings
from tenders.pipeline import judge, match_and_queue, send_due
from tenders.store import Store

from .conftest import PROJECT
from .fakes.sendgrid import API_KEY, fake_sendgrid

COUNTIES = ["SE110", "SE121", "SE312", "SE313", "SE331"]
QUEUED_AT = clock.utcnow().replace(microsecond=0)  # the runs stamp "sending" with the clock: judge it by the same
SEND_AT = QUEUED_AT + timedelta(days=8)  # past every subscriber's next slot

KILLED_RUN = """
import os, signal, sys
from datetime import datetime
from matching.subscriptions import load_subscribers
from notifications.senders.sendgrid import SendGridSender
from tenders.config import load_settings
from tenders.pipeline import send_due
from tenders.store import Store

db, subscribers, url, when, kill_after, API_KEY = sys.argv[1:7]
inner = SendGridSender(API_KEY, url, sleep=lambda s: None)

class DiesAfter:
    name = "sendgrid"
    sent = 0
    def find(self, key):
        return inner.find(key)
    def send(self, message):
        ref = inner.send(message)
        DiesAfter.sent += 1
        if DiesAfter.sent == int(kill_after):
            os.kill(os.getpid(), signal.SIGKILL)  # SendGrid has it; the outbox does not know yet
        return ref

send_due(Store(db), load_subscribers(__import__("pathlib").Path(subscribers)), DiesAfter(), load_settings(),
         now=datetime.fromisoformat(when))
"""


def test_every_subscriber_gets_every_match_exactly_once(tmp_path: Path, settings: Settings) -> None:
    rng = random.Random(5)
    store = Store(f"sqlite:///{tmp_path / 'radar.sqlite'}")
    store.migrate()
    tenders, verdicts = [], {}
    for i, data in enumerate(notices(80, seed=9)):
        for t in parse_document(data, f"n{i}"):
            t.nuts, t.buyer_country, t.deadline = [rng.choice(COUNTIES)], "SE", None
            tenders.append(t)
            verdicts[t.id] = judge(t)
    store.upsert(tenders, verdicts)
    entries = [
        {"key": f"s{i}", "email": f"s{i}@example.org", "regions": rng.sample(COUNTIES, 2), "min_score": 0.0,
         "frequency": rng.choice(["daily", "weekly", "instant"]), "language": rng.choice(["sv", "en"])}
        for i in range(30)
    ]  # fmt: skip
    path = tmp_path / "subscribers.yaml"
    path.write_text(yaml.safe_dump({"subscribers": entries}))
    subs = load_subscribers(path)
    alerts = [a for a in store.assessed() if a.tender.notice_type != "result"]  # result notices are not alerted
    expected = {k: {a.tender.id for a in v} for k, v in match_all(subs, alerts).items()}
    assert sum(map(len, expected.values())) > 100

    match_and_queue(store, subs, now=QUEUED_AT)
    digests = {d.id: d for d in store.digests()}
    assert len(digests) > 30  # instant subscribers have two: their reserved contracts, and the rest

    with fake_sendgrid("flaky", seed=3) as fake:
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_RUN, store.url, str(path), fake.url, SEND_AT.isoformat(), "7", API_KEY],
            cwd=PROJECT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert killed.returncode == -9, killed.stderr[-2000:]
        assert sum(map(len, fake.accepted.values())) == 7
        assert Counter(d.status for d in store.digests())["sending"] == 1  # the one SendGrid took, unrecorded

        sender = SendGridSender(API_KEY, fake.url, sleep=lambda s: None)
        later = SEND_AT + timedelta(hours=1)  # the dead run's "sending" digest is stale by now
        for _ in range(10):
            if not store.due_digests(later):
                break
            send_due(store, subs, sender, settings, now=later)
        failures_seen = sum(1 for d in store.digests() if d.attempts > 1)

    assert fake.invalid == []
    assert all(d.status == "sent" for d in store.digests())
    assert {k: len(v) for k, v in fake.accepted.items()} == {d: 1 for d in digests}  # each digest once at SendGrid
    received: dict[str, list[str]] = {}
    for digest in store.digests():
        received.setdefault(digest.subscriber, []).extend(digest.tender_ids)
    for key, wanted in expected.items():
        got = received.get(key, [])
        assert len(got) == len(set(got)), f"{key} got a tender twice"
        assert set(got) == wanted, f"{key} missed tenders"
    assert failures_seen > 0  # the random 500s and 429s did happen
