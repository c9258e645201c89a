"""``make help`` names every target of the Makefile, one line each."""

from __future__ import annotations

import re
import subprocess

from .conftest import PROJECT


def test_make_help_lists_every_target() -> None:
    targets = re.findall(r"^([a-z][a-z-]*):", (PROJECT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    shown = subprocess.run(["make", "-s", "help"], cwd=PROJECT, capture_output=True, text=True, check=True).stdout
    listed = {line.split()[1] for line in shown.splitlines() if line.startswith("make ")}
    assert set(targets) - {"help"} <= listed and listed <= set(targets)
