"""What the operators rely on: alert emails and webhooks, the health check's freshness alert, the
failed-task notifier, `status --release-held`, and a database from the first migration upgraded
to the newest with its data intact."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from matching.subscriptions import Subscriber
from notifications.alerts import send_alert
from notifications.senders.base import Message, SendError
from radar.delivery import send_due
from radar.health import check_freshness
from radar.judging import judge
from tenders.config import Settings
from tenders.model import Tender
from tenders.store import MIGRATIONS, Store, UpsertResult, open_store, utcnow

from .helpers.cli import cli, home_env
from .helpers.clock import MovingClock


def alerts_in(outbox: Path) -> list[email.message.EmailMessage]:
    found: list[email.message.EmailMessage] = []
    for path in sorted(outbox.glob("alert-*.eml")):
        found.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
    return found


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_an_alert_goes_by_email_and_to_the_webhook(
    settings: Settings, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    ops = replace(settings, alert_email="ops@example.org", alert_webhook=url)
    where = send_alert("2 source(s) need a look", "ted: stale <since Monday>", ops)
    assert where == ["email to ops@example.org", f"webhook {url.removesuffix('/hook')}/…"]  # its path is its secret
    [mail] = alerts_in(ops.outbox_dir)
    assert mail["To"] == "ops@example.org" and mail["Subject"] == "[Tender Radar] 2 source(s) need a look"
    assert "&lt;since Monday&gt;" in mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert received == [{"subject": "2 source(s) need a look", "text": "ted: stale <since Monday>"}]


def test_an_alert_nobody_can_receive_is_logged_not_raised(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    dead = replace(settings, alert_webhook="http://127.0.0.1:9/nobody-listens", alert_email=None)
    assert send_alert("x", "y", dead) == []
    assert "alert webhook http://127.0.0.1:9/… failed" in caplog.text
    assert "nobody-listens" not in caplog.text  # a webhook's path is its secret (issue 13)


def test_the_health_check_alerts_about_a_source_gone_quiet(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "s.yaml").write_text(
        f"sources:\n  - {{name: quiet, kind: ted_files, path: '{tmp_path}', expect_every: 2d}}\n"
        f"  - {{name: busy, kind: ted_files, path: '{tmp_path}', expect_every: 30d}}\n"
    )
    ops = replace(settings, sources_file=tmp_path / "s.yaml", alert_email="ops@example.org")
    store = open_store(ops)
    for name in ("quiet", "busy"):
        store.record_run(name, utcnow(), UpsertResult(new=["a"]), [])
    assert check_freshness(ops) == [] and alerts_in(ops.outbox_dir) == []
    MovingClock(monkeypatch).advance(days=3)
    assert [f.source for f in check_freshness(ops)] == ["quiet"]
    [mail] = alerts_in(ops.outbox_dir)
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mail["Subject"] == "[Tender Radar] 1 source(s) need a look" and body.startswith("quiet: stale")


def test_a_task_that_failed_for_good_alerts_the_operators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("airflow")
    import importlib.util

    from .conftest import PROJECT

    spec = importlib.util.spec_from_file_location("tender_radar_dags", PROJECT / "dags" / "tender_radar.py")
    assert spec and spec.loader
    dags = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dags)
    for name, value in home_env(tmp_path, TENDER_RADAR_ALERT_EMAIL="ops@example.org").items():
        monkeypatch.setenv(name, value)

    class TaskInstance:
        dag_id, task_id = "tender_radar_notify", "send"

    dags.AlertOperators().notify({"ti": TaskInstance(), "run_id": "r1", "exception": SendError("x", retryable=True)})
    [mail] = alerts_in(tmp_path / "var" / "outbox")
    assert mail["Subject"] == "[Tender Radar] tender_radar_notify.send failed"
    assert "task send, run r1: x" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


class Refusing:
    name = "refusing"

    def find(self, key: str) -> str | None:
        return None

    def send(self, message: Message) -> str:
        raise SendError("SendGrid answered 400: the from address is not verified", retryable=False)


def test_status_release_held_puts_held_digests_back_for_the_next_run(settings: Settings, tmp_path: Path) -> None:
    store = open_store(settings)
    t = Tender(source="x", notice_id="1", title="Lokalvård", nuts=["SE312"])
    store.upsert([t], {t.id: judge(t)})
    subs = [Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.0)]
    store.queue_digest("s", "s@example.org", "sv", list(store.assessed()))  # due now
    send_due(store, subs, Refusing(), settings)
    assert [d.status for d in store.digests()] == ["held"]
    shown = cli("status", env=home_env(tmp_path))
    assert "1 held" in shown.stdout
    released = cli("status", "--release-held", env=home_env(tmp_path))
    assert "released 1 held digest(s) for the next run" in released.stdout, released.stderr
    assert [d.status for d in store.digests()] == ["failed"]
    assert store.due_digests() != []


def test_a_database_from_the_first_migration_is_upgraded_with_its_data(store: Store) -> None:
    """The oldest schema with a tender, a sent digest and a failed one; the newest reads them all."""
    fresh = Store(store.url.replace("/store.sqlite", "/old.sqlite")) if store.url.startswith("sqlite") else None
    target = fresh or store
    engine = create_engine(target.url)
    if not target.url.startswith("sqlite"):  # the fixture migrated this schema: start it again from nothing
        with engine.begin() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    old = Tender(source="ted", notice_id="1-2019", title="Lokalvård i Falun", nuts=["SE312"], cpv_main="90910000")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenders (id, source, notice_id, notice_type, title, content_hash, version, data,"
                 " first_seen, updated_at) VALUES (:id, 'ted', '1-2019', 'competition', :title, 'h1', 1, :data,"
                 " :now, :now)"),
            {"id": old.id, "title": old.title, "data": json.dumps(old.to_dict()), "now": utcnow()},
        )  # fmt: skip
        for digest, status, attempts in (("d-sent", "sent", 1), ("d-failed", "failed", 1)):
            conn.execute(
                text("INSERT INTO digests (id, subscriber, email, language, tender_ids, status, attempts, created_at)"
                     " VALUES (:id, 's', 's@example.org', 'sv', :ids, :status, :attempts, :now)"),
                {"id": digest, "ids": json.dumps([old.id]), "status": status, "attempts": attempts, "now": utcnow()},
            )  # fmt: skip
    engine.dispose()
    target.migrate()
    assert target.get(old.id) == old
    # A digest that failed after an attempt may be at the provider: it is looked up before any resend.
    assert {d.id: d.status for d in target.digests()} == {"d-sent": "sent", "d-failed": "unsure"}
    assert [d.id for d in target.due_digests(utcnow() + timedelta(hours=1))] == ["d-failed"]  # never lost


def test_only_make_demo_turns_on_expired_tenders() -> None:
    """Every shape the radar runs in (the Airflow scripts, compose, Helm, the image, the DAGs) leaves
    TENDER_RADAR_INCLUDE_EXPIRED unset, so no subscriber there gets a tender whose deadline has passed;
    only `make demo` sets it, for the bundled real notices of 2019-2024."""
    project = Path(__file__).resolve().parent.parent
    shapes = [project / "Dockerfile", project / "docker-compose.yml", *(project / "scripts").iterdir()]
    for folder, pattern in (("deploy", "*"), ("docker", "*"), ("dags", "*.py")):
        shapes += (project / folder).rglob(pattern)
    turned_on = [
        f"{p.relative_to(project)}: {line.strip()}"
        for p in shapes
        if p.is_file()
        for line in p.read_text().splitlines()
        if "INCLUDE_EXPIRED" in line and not line.strip().startswith("#")  # a comment may say how to
    ]
    assert turned_on == []
    make = [line.strip() for line in (project / "Makefile").read_text().splitlines() if "INCLUDE_EXPIRED=1" in line]
    assert make == ["TENDER_RADAR_INCLUDE_EXPIRED=1 $(VENV)/tender-radar run"]  # the demo target's one line
