"""``make help`` names every target of the Makefile, one line each."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .conftest import PROJECT


def test_make_help_lists_every_target() -> None:
    targets = re.findall(r"^([a-z][a-z-]*):", (PROJECT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    shown = subprocess.run(["make", "-s", "help"], cwd=PROJECT, capture_output=True, text=True, check=True).stdout
    listed = {line.split()[1] for line in shown.splitlines() if line.startswith("make ")}
    assert set(targets) - {"help"} <= listed and listed <= set(targets)


def test_system_deps_waits_for_another_apt_holding_the_dpkg_lock(tmp_path: Path) -> None:
    """Every apt-get of `make system-deps` waits for the lock (here: a fake apt-get that records its calls)."""
    calls = tmp_path / "calls"
    for name, body in {"apt-get": f'echo "$*" >> {calls}; exit 1', "id": "echo 0"}.items():
        (tmp_path / name).write_text(f"#!/bin/sh\n{body}\n")
        (tmp_path / name).chmod(0o755)
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}  # nothing installed: it must install
    subprocess.run(["/usr/bin/make", "-s", "system-deps"], cwd=PROJECT, env=env, capture_output=True, check=False)
    lines = calls.read_text().splitlines()
    assert lines and all("-o DPkg::Lock::Timeout=600" in line for line in lines), lines
