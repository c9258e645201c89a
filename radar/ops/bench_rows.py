"""A row of ``make bench``'s table, and the table: shared by the benchmark and the cases kept beside it."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from tenders.parallel import default_workers


@dataclass
class Row:
    case: str
    size: str
    runs: list[float]
    unit: str  # what one run's throughput counts, e.g. "notices"
    count: float  # how many of ``unit`` one run handles
    target: str = ""
    verdict: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def rate(self) -> float:
        return self.count / self.median if self.median else float("inf")


def table(rows: list[Row]) -> str:
    lines = ["| case | size | runs | median | spread | throughput | target | verdict | notes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in rows:
        spread = f"{min(r.runs):.3f}–{max(r.runs):.3f} s"
        lines.append(f"| {r.case} | {r.size} | {len(r.runs)} | {r.median:.3f} s | {spread} | "
                     f"{r.rate():,.0f} {r.unit}/s | {r.target} | {r.verdict} | {r.note} |")  # fmt: skip
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {default_workers()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, lxml {'.'.join(map(str, etree.LXML_VERSION[:3]))}")  # fmt: skip
