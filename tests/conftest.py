"""Shared fixtures: the bundled notices, a settings environment under tmp, both databases."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.store import Store, drop_schema, new_schema

# Tests write only under temporary folders: a settings load that names no home of its own (a
# subprocess, a DAG's callback) lands here, not in the checkout's var/. Settings from the
# developer's shell (a production database URL, a real API key) never reach a test.
for _name in [n for n in os.environ if n.startswith("TENDER_RADAR_") or n == "SENDGRID_API_KEY"]:
    if _name not in (clock.SHIFT_ENV, "TENDER_RADAR_TEST_PG"):
        del os.environ[_name]
TEST_HOME = tempfile.mkdtemp(prefix="tender-radar-tests-")
os.environ["TENDER_RADAR_HOME"] = TEST_HOME

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROJECT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TENDER_RADAR_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(TEST_HOME, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    """Say which clock the run lives on: ``make test-future`` moves it a year ahead."""
    return f"project clock: {clock.utcnow():%Y-%m-%d %H:%M} UTC (moved by {clock.shift()})"


def fixture(rel: str) -> Path:
    return FIXTURES / rel


def parse_one(rel: str) -> Tender:
    """The one tender in a bundled fixture notice."""
    from scrapers.notices import iter_path

    items = list(iter_path(FIXTURES / rel))
    assert len(items) == 1 and isinstance(items[0], Tender), items
    return items[0]


def outbox(folder: Path) -> dict[str, str]:
    """The plain-text parts of the emails in a file outbox, by recipient (joined when several)."""
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        to = str(msg["To"])
        out[to] = f"{out[to]}\n{text}" if to in out else text
    return out


@pytest.fixture(autouse=True)
def operator_contact(monkeypatch: pytest.MonkeyPatch) -> str:
    """HTTP sources need the operator's contact in their User-Agent; tests run as an invented one."""
    monkeypatch.setenv("TENDER_RADAR_CONTACT", "radar-tests@example.org")
    return "radar-tests@example.org"


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (tests/helpers/browser.py) that waits up to 3 s for an element to appear."""
    from .helpers.browser import chromium

    with chromium() as driver:
        driver.implicitly_wait(3)
        yield driver


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: its own SQLite file and outbox, the project's sample sources."""
    return load_settings(
        {
            "TENDER_RADAR_HOME": str(tmp_path),
            "TENDER_RADAR_SOURCES": str(PROJECT / "sources.yaml"),
            "TENDER_RADAR_SUBSCRIBERS": str(PROJECT / "subscribers.yaml"),
            "TENDER_RADAR_INCLUDE_EXPIRED": "1",
        }
    )


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    store.migrate()
    return store


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the session on the real server, dropped afterwards."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"tender_radar_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # ruff: ignore[blind-except] - say plainly why the PostgreSQL tests cannot run
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is needed for the store tests: {exc}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The store on both databases; each PostgreSQL test gets its own schema."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
        s.migrate()
        yield s
        return
    s = Store(new_schema(request.getfixturevalue("pg_url"), "t"))
    s.migrate()
    yield s
    s.engine.dispose()
    drop_schema(s.url)
