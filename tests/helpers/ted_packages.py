"""TED daily packages for the tests: a package built from notice files, and the fake TED serving them."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

from ..fakes.ted import fake_ted


def package(files: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in files:
            tar.add(path, arcname=f"package/{path.name}")
    return buffer.getvalue()


@contextmanager
def ted_site(packages: dict[str, bytes]) -> Generator[tuple[str, list[str]]]:
    """The fake TED with these packages; yields the package base URL and the issues asked for (GET)."""
    asked: list[str] = []
    with fake_ted(load=False) as ted:
        ted.packages = packages
        ted.on_request = lambda path: asked.append(path.rsplit("/", 1)[-1]) if "/packages/daily/" in path else None
        yield f"{ted.url}/packages/daily", asked
