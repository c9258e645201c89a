"""When SendGrid may have a digest but cannot say so: the Email Activity API's 403 (no add-on), its
429 (a few requests a minute) and its delay before a message is listed. A digest is never sent
again on a guess and never dropped: it waits, is found, or is held as "unknown" for the operator,
who sees it in `tender-radar status`."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.subscriptions import Subscriber
from notifications.senders.sendgrid import SendGridSender
from radar.delivery import send_due
from radar.judging import judge
from tenders.config import Settings
from tenders.model import Tender
from tenders.store import Store, open_store

from .fakes.sendgrid import API_KEY, FakeSendGrid, fake_sendgrid
from .helpers.cli import cli, home_env
from .helpers.clock import MovingClock

SUBS = [Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.0)]


def queued(settings: Settings) -> Store:
    store = open_store(settings)
    t = Tender(source="x", notice_id="1", title="Lokalvård i Falun", nuts=["SE312"])
    store.upsert([t], {t.id: judge(t)})
    store.queue_digest("s", "s@example.org", "sv", list(store.assessed()))  # due now
    return store


def run(store: Store, fake: FakeSendGrid, settings: Settings) -> dict[str, object]:
    return send_due(store, SUBS, SendGridSender(API_KEY, fake.url, sleep=lambda s: None), settings)


def status(store: Store) -> str:
    [digest] = store.digests()
    return digest.status


def test_without_the_activity_add_on_the_digest_is_held_as_unknown_and_shown(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clock = MovingClock(monkeypatch)
    store = queued(settings)
    with fake_sendgrid("accept_then_500", activity="forbidden") as fake:
        assert run(store, fake, settings)["unsure"] == 1  # SendGrid has it; its answer said 500
        clock.advance(minutes=20)
        assert run(store, fake, settings)["unknown"] == 1
        clock.advance(days=3)
        assert run(store, fake, settings)["sent"] == 0
        assert len(fake.requests) == 1 and fake.lookups == 1  # not sent again, and not asked again
    assert status(store) == "unknown"
    shown = cli("status", env=home_env(tmp_path))
    assert "1 unknown" in shown.stdout and shown.returncode == 1, shown.stderr
    released = cli("status", "--unknown-sent", env=home_env(tmp_path))
    assert "recorded 1 unknown digest(s) as sent" in released.stdout and status(store) == "sent"
    assert released.returncode == 0  # answered in this call: the unknown digest no longer fails the check


def test_a_rate_limited_lookup_is_asked_again_for_a_day_then_the_digest_is_unknown(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = MovingClock(monkeypatch)
    store = queued(settings)
    with fake_sendgrid("accept_then_500", activity="rate_limited") as fake:
        run(store, fake, settings)
        for _ in range(4):  # every few hours within the day: still unsure, never resent
            clock.advance(hours=5)
            assert run(store, fake, settings)["unsure"] == 1 and status(store) == "unsure"
        clock.advance(hours=5)
        assert run(store, fake, settings)["unknown"] == 1
        assert len(fake.requests) == 1
    assert status(store) == "unknown"


def test_a_message_not_listed_yet_is_not_sent_again_and_is_found_later(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = MovingClock(monkeypatch)
    store = queued(settings)
    with fake_sendgrid("lost", listing_delay=10 * 60) as fake:
        assert run(store, fake, settings)["unsure"] == 1
        clock.advance(minutes=5)
        assert run(store, fake, settings)["sent"] == 0 and fake.lookups == 0  # too early to trust "not there"
        clock.advance(minutes=15)
        assert run(store, fake, settings)["recovered"] == 1
        assert len(fake.requests) == 1
    assert status(store) == "sent"


def test_a_digest_the_provider_did_not_take_is_sent_after_the_lookup_says_so(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = MovingClock(monkeypatch)
    store = queued(settings)
    with fake_sendgrid("server_error", listing_delay=10 * 60) as fake:
        assert run(store, fake, settings)["unsure"] == 1
        fake.mode = "accept"
        clock.advance(minutes=20)
        assert run(store, fake, settings)["sent"] == 1
        clock.advance(minutes=20)
        assert run(store, fake, settings)["sent"] == 0
    assert [len(ids) for ids in fake.accepted.values()] == [1] and status(store) == "sent"


def test_a_digest_sendgrid_refused_with_429_is_sent_at_the_next_run_without_a_lookup(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 on send means not accepted (SendGrid's "Rate Limits" page): retried, never "unsure"."""
    clock = MovingClock(monkeypatch)
    store = queued(settings)
    with fake_sendgrid("rate_limited") as fake:
        first = run(store, fake, settings)
        assert first["unsure"] == 0 and status(store) != "unsure"
        fake.mode = "accept"
        clock.advance(minutes=20)
        assert run(store, fake, settings)["sent"] == 1
        assert fake.lookups == 0 and [len(ids) for ids in fake.accepted.values()] == [1]
    assert status(store) == "sent"
