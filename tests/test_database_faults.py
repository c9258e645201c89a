"""A database that does not answer, the common `postgres://` spelling, and configured files that are
not there: each ends a command with one line naming the cause, never a traceback."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenders.config import ConfigError, load_settings

from .helpers.cli import cli, home_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", ["run", "status"])
def test_a_database_that_is_down_ends_the_command_in_one_line_after_bounded_retries(
    tmp_path: Path, command: str
) -> None:
    port = _free_port()  # nothing listens there: a stopped PostgreSQL
    env = home_env(tmp_path, TENDER_RADAR_DATABASE_URL=f"postgres://radar:S3cret@127.0.0.1:{port}/radar",
                   TENDER_RADAR_DATABASE_WAIT="2")  # fmt: skip
    started = time.monotonic()
    done = cli(command, env=env)
    took = time.monotonic() - started
    assert done.returncode == 3
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"tender-radar: database postgresql+psycopg2://…@127.0.0.1:{port}/radar unavailable")
    assert "retried for 2 s" in line and "Connection refused" in line and "S3cret" not in line
    assert 2 <= took < 15  # retried for the configured time, then stopped


@pytest.fixture
def proxy(pg_url: str) -> Iterator[tuple[int, threading.Event]]:
    """A TCP proxy to the real PostgreSQL that drops every connection and refuses new ones once stopped."""
    stopped = threading.Event()

    class Pipe(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            if stopped.is_set():
                return
            upstream = socket.create_connection(("127.0.0.1", 5432))
            pair = (self.request, upstream)
            for a, b in (pair, pair[::-1]):
                threading.Thread(target=_pump, args=(a, b, stopped), daemon=True).start()
            while not stopped.wait(0.05):
                pass
            for s in pair:
                s.close()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Pipe)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1]), stopped
    stopped.set()
    server.shutdown()
    server.server_close()


def _pump(a: socket.socket, b: socket.socket, stopped: threading.Event) -> None:
    try:
        while not stopped.is_set() and (data := a.recv(65536)):
            b.sendall(data)
    except OSError:
        pass


def test_a_database_stopped_mid_way_is_one_line_too(
    tmp_path: Path, pg_url: str, proxy: tuple[int, threading.Event]
) -> None:
    from tenders.store import DatabaseUnavailable, Store

    port, stopped = proxy
    url = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{port}")
    store = Store(url, wait=1)
    store.migrate()  # it answers
    stopped.set()  # and now it is gone
    store.engine.dispose()
    started = time.monotonic()
    with pytest.raises(
        DatabaseUnavailable,
        match=rf"database postgresql\+psycopg2://…@127.0.0.1:{port}/\S+ unavailable \(retried for 1 s\)",
    ):
        store.digest_counts()
    assert 1 <= time.monotonic() - started < 10


def test_the_common_postgres_spelling_is_accepted(tmp_path: Path, pg_url: str) -> None:
    common = pg_url.replace("postgresql+psycopg2://", "postgres://")
    assert load_settings({"TENDER_RADAR_DATABASE_URL": common}).database_url == pg_url
    (tmp_path / "sources.yaml").write_text("sources: []\n")
    shown = cli("status", env=home_env(tmp_path, TENDER_RADAR_DATABASE_URL=common,
                                       TENDER_RADAR_SOURCES=str(tmp_path / "sources.yaml")))  # fmt: skip
    assert shown.returncode == 0 and "digests:" in shown.stdout and shown.stderr == "", shown.stderr


@pytest.mark.parametrize("name", ["TENDER_RADAR_SUBSCRIBERS", "TENDER_RADAR_SOURCES"])
def test_a_configured_file_that_is_missing_is_an_error_naming_its_variable(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=rf"{name}='nowhere.yaml': no such file"):
        load_settings({"TENDER_RADAR_HOME": str(tmp_path), name: "nowhere.yaml"})
    (tmp_path / "a-folder.yaml").mkdir()
    with pytest.raises(ConfigError, match=rf"{name}='a-folder.yaml': not a file"):
        load_settings({"TENDER_RADAR_HOME": str(tmp_path), name: "a-folder.yaml"})
    done = cli("run", env=home_env(tmp_path, **{name: str(tmp_path / "nowhere.yaml")}))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"tender-radar: {name}='{tmp_path / 'nowhere.yaml'}': no such file "
                                                f"({tmp_path / 'nowhere.yaml'})"]  # fmt: skip
