"""Fault injection: SendGrid failing in every way it can (500 and 429 before and after accepting,
answers lost, a lookup that answers 429 or lists a message late), a process killed in the middle
of a batch, reruns, on SQLite and PostgreSQL.

Afterwards every subscriber has received every matching tender exactly once, judged from the
messages SendGrid received (their bodies parsed), not from the store's records.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from matching.subscriptions import load_subscribers, match_all
from notifications.senders.sendgrid import SendGridSender
from radar.delivery import send_due
from radar.judging import judge
from radar.ops.bench import notices
from radar.pipeline import match_and_queue
from scrapers.notices import parse_document
from tenders.config import Settings
from tenders.store import Store

from .conftest import PROJECT
from .fakes.sendgrid import API_KEY, fake_sendgrid
from .helpers.clock import MovingClock

COUNTIES = ["SE110", "SE121", "SE312", "SE313", "SE331"]
PAGE_LINK = re.compile(r"/tenders/([^?\s]+)\?lang=")  # each tender's block links its page once

KILLED_RUN = """
import os, signal, sys
from matching.subscriptions import load_subscribers
from notifications.senders.sendgrid import SendGridSender
from tenders.config import load_settings
from radar.delivery import send_due
from tenders.store import Store

db, subscribers, url, kill_after, API_KEY = sys.argv[1:6]
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
            os.kill(os.getpid(), signal.SIGKILL)  # SendGrid has it; the store does not know yet
        return ref

send_due(Store(db), load_subscribers(__import__("pathlib").Path(subscribers)), DiesAfter(), load_settings())
"""


def received(bodies: list[dict[str, object]]) -> dict[str, Counter[str]]:
    """Recipient -> how many times each tender reached them, read from the bodies SendGrid accepted."""
    out: dict[str, Counter[str]] = {}
    for body in bodies:
        text = next(c["value"] for c in body["content"] if c["type"] == "text/plain")  # type: ignore[attr-defined]
        for person in body["personalizations"]:  # type: ignore[attr-defined]
            for to in person["to"]:
                out.setdefault(to["email"], Counter()).update(unquote(t) for t in PAGE_LINK.findall(text))
    return out


def test_every_subscriber_gets_every_match_exactly_once(
    store: Store, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = MovingClock(monkeypatch)
    rng = random.Random(5)
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

    match_and_queue(store, subs)
    digests = {d.id: d for d in store.digests()}
    assert len(digests) > 30  # instant subscribers have two: their reserved contracts, and the rest
    clock.advance(days=8)  # past every subscriber's next slot

    with fake_sendgrid("flaky", seed=3, activity="flaky", listing_delay=10 * 60) as fake:
        env = {**os.environ, "TENDER_RADAR_HOME": str(tmp_path / "home")}  # its secret key goes there
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_RUN, store.url, str(path), fake.url, "7", API_KEY],
            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert killed.returncode == -9, killed.stderr[-2000:]
        assert Counter(d.status for d in store.digests())["sending"] == 1  # the one SendGrid took, unrecorded

        sender = SendGridSender(API_KEY, fake.url, sleep=lambda s: None)
        runs = 0
        while runs < 60 and any(d.status != "sent" for d in store.digests()):
            clock.advance(minutes=20)  # the next run, as the DAG would start it
            send_due(store, subs, sender, settings)
            runs += 1
        tried_again = sum(1 for d in store.digests() if d.attempts > 1)

    assert fake.invalid == []
    assert Counter(d.status for d in store.digests()) == {"sent": len(digests)}
    assert {k: len(v) for k, v in fake.accepted.items()} == {d: 1 for d in digests}  # each digest once at SendGrid
    got = received(fake.delivered)
    for sub in subs:
        tenders_got = got.get(sub.email, Counter())
        assert set(tenders_got.values()) <= {1}, f"{sub.key} got a tender twice"
        assert set(tenders_got) == expected.get(sub.key, set()), f"{sub.key} missed tenders"
    assert tried_again > 0 and fake.lookups > 0  # the faults and the lookups did happen
