"""TED daily packages: the next OJ S issues downloaded to disk and streamed, until TED has no more."""

from __future__ import annotations

import io
import tarfile
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tenders import clock
from tenders.config import Settings
from tenders.pipeline import collect, open_store

from .conftest import FIXTURES

YEAR = clock.today().year  # this year's issues: an earlier year's would roll over into this one


def package(files: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in files:
            tar.add(path, arcname=f"package/{path.name}")
    return buffer.getvalue()


@contextmanager
def ted_site(packages: dict[str, bytes]) -> Generator[tuple[str, list[str]]]:
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            if self.path.startswith("/packages/daily/"):
                asked.append(name)
            body = packages.get(name) if self.path.startswith("/packages/daily/") else None
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/packages/daily", asked
    finally:
        server.shutdown()
        server.server_close()


def test_new_packages_are_read_and_a_rerun_asks_only_for_the_next_issue(settings: Settings, tmp_path: Path) -> None:
    notices = sorted((FIXTURES / "eforms-real").glob("*.xml"))
    legacy = sorted((FIXTURES / "ted-real" / "legacy").glob("*.xml"))[:4]
    packages = {f"{YEAR}00230": package(notices[:10]), f"{YEAR}00231": package(notices[10:] + legacy)}
    with ted_site(packages) as (url, asked):
        (tmp_path / "s.yaml").write_text(
            f"sources:\n  - {{name: daily, kind: ted_packages, url: '{url}', start: '{YEAR}00230', min_interval: 0,"
            f" download_dir: '{tmp_path / 'downloads'}'}}\n"
        )
        (tmp_path / "downloads").mkdir()
        s = replace(settings, sources_file=tmp_path / "s.yaml")
        store = open_store(s)
        first = collect("daily", store, s)
        assert first.new == 18 + 4 and first.errors == []
        assert asked == [
            f"{YEAR}00230",
            f"{YEAR}00231",
            f"{YEAR}00232",
            f"{YEAR}00233",
        ]  # two misses in a row: not yet published
        assert list((tmp_path / "downloads").iterdir()) == []  # each download is deleted once read

        asked.clear()
        packages[f"{YEAR}00232"] = package(legacy[:1] + sorted((FIXTURES / "ted-real" / "legacy").glob("*.xml"))[4:6])
        second = collect("daily", store, s)
        assert asked[0] == f"{YEAR}00232" and second.new == 2 and second.unchanged == 1
