"""Running ``tender-radar`` as a user types it, in a subprocess (it inherits the moved clock)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent.parent


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "radar.cli", *args],
        input=stdin, capture_output=True, text=True, cwd=PROJECT, env=env, timeout=120,
    )  # fmt: skip


def home_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI run whose data lives under ``home`` (never in the checkout)."""
    return {
        **os.environ,
        "TENDER_RADAR_HOME": str(home),
        "TENDER_RADAR_SOURCES": str(PROJECT / "sources.yaml"),
        "TENDER_RADAR_SUBSCRIBERS": str(PROJECT / "subscribers.yaml"),
        **extra,
    }
