"""The commands without a test of their own, as a user types them: subscribe, coordinator, register,
feedback, and serve (started on a port the system picks, asked for a page, stopped)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from radar.judging import judge
from tenders.config import load_settings
from tenders.model import Tender
from tenders.store import open_store

from .conftest import PROJECT
from .helpers.cli import cli, home_env


def test_subscribe_signs_up_pending_and_mails_the_confirmation_link(tmp_path: Path) -> None:
    env = home_env(tmp_path, TENDER_RADAR_BASE_URL="https://radar.example.org")
    result = cli("subscribe", "--email", "ny@kooperativ.example.org", "--organisation", "Mora Städ & Trädgård",
                 "--region", "Dalarna", "--sector", "cleaning", "--frequency", "daily", env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    key = result.stdout.split(":")[0]
    assert "pending; a confirmation link was sent to ny@kooperativ.example.org" in result.stdout
    [mail] = (tmp_path / "var" / "outbox").glob("confirm-*.eml")
    assert "https://radar.example.org/confirm?token=" in mail.read_text()
    listed = cli("subscribers", env=env)
    assert re.search(rf"^{re.escape(key)}\s+pending", listed.stdout, re.MULTILINE)
    wrong = cli("subscribe", "--email", "not-an-address", "--organisation", "X", env=env)
    assert wrong.returncode != 0 and "not-an-address" in wrong.stderr


def test_coordinator_takes_the_password_from_stdin_and_refuses_a_short_one(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    made = cli("coordinator", "anna", "--region", "Dalarna", stdin="dalarna-pass-123\n", env=env)
    assert made.returncode == 0 and made.stdout.strip() == "anna: SE312", made.stderr
    admin = cli("coordinator", "root", "--admin", stdin="admin-pass-12345\n", env=env)
    assert admin.stdout.strip() == "root: admin, all counties"
    assert "dalarna-pass-123" not in made.stdout + made.stderr
    short = cli("coordinator", "bo", "--region", "Dalarna", stdin="short\n", env=env)
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    nowhere = cli("coordinator", "bo", stdin="long-enough-pass\n", env=env)
    assert nowhere.returncode == 1 and "--region" in nowhere.stderr
    store = open_store(load_settings(env))
    user = store.coordinator("anna")
    assert user is not None and user.regions == ("SE312",) and store.coordinator("bo") is None


def test_register_imports_the_csv_and_names_a_bad_file(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    result = cli("register", str(PROJECT / "data/samples/register/social-enterprises.csv"), env=env)
    said = re.fullmatch(r"(\d+) added, 0 updated; (\d+) social enterprises in the register\n", result.stdout)
    assert result.returncode == 0 and said, result.stdout  # an import adds and updates, never drops (issue 13)
    count = int(said.group(2))
    assert int(said.group(1)) == count == len(open_store(load_settings(env)).register()) > 0
    (tmp_path / "bad.csv").write_text("namn;organisationsnummer\nX;123\n", encoding="utf-8")
    bad = cli("register", str(tmp_path / "bad.csv"), env=env)
    assert bad.returncode == 1 and "bad.csv" in bad.stderr
    assert len(open_store(load_settings(env)).register()) == count  # the good register is kept


def test_feedback_prints_the_votes_as_labelled_examples_without_the_subscriber(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    store = open_store(load_settings(env))
    t = Tender(source="x", notice_id="1", title="Lokalvård i Falun", description="Städning av skolor.")
    store.upsert([t], {t.id: judge(t)})
    store.save_feedback("secret-subscriber", t.id, relevant=True)
    result = cli("feedback", env=env)
    [line] = result.stdout.splitlines()
    vote = json.loads(line)
    assert vote["tender_id"] == t.id and vote["relevant"] is True and vote["title"] == "Lokalvård i Falun"
    assert "secret-subscriber" not in result.stdout


def test_serve_answers_on_the_port_it_reports_and_stops(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "radar.cli", "serve", "--port", "0"],
        cwd=PROJECT, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        port = None
        assert server.stderr is not None
        for line in server.stderr:  # uvicorn names the port the system gave it
            if found := re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line):
                port = int(found.group(1))
                break
        assert port, "the server never said where it listens"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30) as page:
            html = page.read().decode()
            assert page.status == 200 and 'name="csrf"' in html
    finally:
        server.terminate()
        deadline = time.monotonic() + 30
        while server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if server.poll() is None:
            server.kill()
    assert server.returncode is not None
