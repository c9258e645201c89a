"""Two send runs at once (Airflow's and a `tender-radar run` beside it) in two processes, on SQLite
and PostgreSQL: each digest is taken by one of them and reaches the provider once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from radar.judging import judge
from tenders.model import Tender
from tenders.store import Store

from .conftest import PROJECT

SUBSCRIBERS = 20
RUN = """
import pathlib, sys, time
from matching.subscriptions import Subscriber
from tenders.config import load_settings
from radar.delivery import send_due
from tenders.store import Store

url, log, go, n = sys.argv[1:5]

class Slow:
    name = "slow"
    def find(self, key):
        return None
    def send(self, message):
        with open(log, "a") as handle:  # one line per request the provider received
            handle.write(message.key + "\\n")
        time.sleep(0.02)
        return "ref-" + message.key

subscribers = [Subscriber(key=f"s{i}", organisation=f"S{i}", email=f"s{i}@example.org", min_score=0.0)
               for i in range(int(n))]
store = Store(url)
while not pathlib.Path(go).exists():
    time.sleep(0.002)
print(send_due(store, subscribers, Slow(), load_settings())["sent"])
"""


def test_two_runs_at_once_send_each_digest_once(store: Store, tmp_path: Path) -> None:
    t = Tender(source="x", notice_id="1", title="Lokalvård i Falun", nuts=["SE312"])
    store.upsert([t], {t.id: judge(t)})
    [item] = list(store.assessed())
    for i in range(SUBSCRIBERS):
        store.queue_digest(f"s{i}", f"s{i}@example.org", "sv", [item])  # due now
    log, go = tmp_path / "provider.log", tmp_path / "go"
    env = {**os.environ, "TENDER_RADAR_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-c", RUN, store.url, str(log), str(go), str(SUBSCRIBERS)]
    pipe = subprocess.PIPE
    runs = [subprocess.Popen(command, cwd=PROJECT, env=env, text=True, stdout=pipe, stderr=pipe) for _ in range(2)]
    go.touch()  # both runs start together
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    requests = Counter(log.read_text().split())
    assert len(requests) == SUBSCRIBERS and set(requests.values()) == {1}, requests.most_common(3)
    assert sum(int(out.strip()) for out, _ in outputs) == SUBSCRIBERS
    assert {d.status for d in store.digests()} == {"sent"}
