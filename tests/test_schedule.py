"""Digests at each subscriber's local time: instant, daily, weekly, across time zones and DST."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from matching.subscriptions import Subscriber, SubscriberError, load_subscribers
from radar.delivery import send_due
from radar.pipeline import match_and_queue
from tenders.model import Tender
from tenders.store import Store, Verdict


def sub(**kw) -> Subscriber:
    return Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.3, **kw)


def test_daily_slot_is_the_next_local_hour() -> None:
    s = sub(send_hour=7)  # Europe/Stockholm: UTC+1 in winter, UTC+2 in summer
    assert s.next_slot(datetime(2026, 11, 26, 5, 0)) == datetime(2026, 11, 26, 6, 0)  # 06:00 local -> today 07:00
    assert s.next_slot(datetime(2026, 11, 26, 6, 0)) == datetime(2026, 11, 27, 6, 0)  # exactly 07:00 -> tomorrow
    assert s.next_slot(datetime(2026, 7, 1, 12, 0)) == datetime(2026, 7, 2, 5, 0)  # summer time
    assert s.next_slot(datetime(2026, 3, 28, 12, 0)) == datetime(2026, 3, 29, 5, 0)  # the night clocks go forward


def test_weekly_slot_is_monday_and_time_zones_differ() -> None:
    assert sub(frequency="weekly").next_slot(datetime(2026, 11, 26, 12, 0)) == datetime(2026, 11, 30, 6, 0)
    helsinki = sub(timezone="Europe/Helsinki", send_hour=8)
    assert helsinki.next_slot(datetime(2026, 11, 26, 5, 0)) == datetime(2026, 11, 26, 6, 0)


def test_instant_is_for_reserved_contracts_only() -> None:
    instant = sub(frequency="instant")
    assert instant.urgent([{"code": "reserved_participation"}])
    assert instant.urgent([{"code": "text_reserved"}])
    assert not instant.urgent([{"code": "typical_sector"}])
    assert not sub(frequency="daily").urgent([{"code": "reserved_participation"}])


def test_a_daily_digest_gathers_the_day_and_goes_out_at_its_hour(sqlite_store: Store, settings) -> None:
    class Collecting:
        name = "collecting"

        def __init__(self) -> None:
            self.sent: list[str] = []

        def find(self, key: str) -> str | None:
            return None

        def send(self, message) -> str:
            self.sent.append(message.text)
            return "ok"

    s = sub(send_hour=7)
    noon, evening = datetime(2026, 11, 26, 11), datetime(2026, 11, 26, 17)
    sender = Collecting()
    for i, now in enumerate((noon, evening)):
        t = Tender(source="t", notice_id=str(i), title=f"Städning {i}")
        sqlite_store.upsert([t], {t.id: Verdict(0.7, "suitable", [{"code": "typical_sector", "weight": 0.45}], "v")})
        assert match_and_queue(sqlite_store, [s], now=now)["digests_queued"] == 1
        assert send_due(sqlite_store, [s], sender, settings, now=now)["sent"] == 0
    assert [d.due_at for d in sqlite_store.waiting_digests()] == [datetime(2026, 11, 27, 6, 0)]  # one digest, both
    assert send_due(sqlite_store, [s], sender, settings, now=datetime(2026, 11, 27, 6, 5))["sent"] == 1
    assert "Städning 0" in sender.sent[0] and "Städning 1" in sender.sent[0]


@pytest.mark.parametrize(
    "entry,message",
    [
        ("frequency: hourly", "'frequency' must be one of instant, daily, weekly"),
        ("timezone: Mars/Olympus", "'timezone' 'Mars/Olympus' is not a time zone"),
        ("send_hour: 25", "'send_hour' must be a whole hour from 0 to 23"),
    ],
)
def test_wrong_schedule_settings_are_named(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "subscribers.yaml"
    path.write_text(f"subscribers:\n  - email: a@example.org\n    {entry}\n")
    with pytest.raises(SubscriberError, match=message.replace("(", r"\(")):
        load_subscribers(path)
