"""What bounds the ingest: ``make profile-ingest`` runs this under py-spy (every process sampled).

It times the two-worker ingest of the benchmark's notices against lxml's bare parse of the
same bytes (on one core, and on as many cores as workers: the benchmark's ratio), in wall time
and in CPU time (on a shared machine only the CPU time compares), and with ``--summary FILE``
reads py-spy's raw stacks back as the share of each process's samples spent in each function,
the collector apart from the workers.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from radar.ops.bench import lxml_parse_seconds, write_folder
from radar.pipeline import collect
from scrapers.sources import NoticeFiles
from tenders.config import load_settings
from tenders.store import Store


def measure(n: int, workers: int) -> str:
    work = Path(tempfile.mkdtemp(prefix="tender-radar-profile-"))
    try:  # 50,000 notices are 4 GB
        return _measure(work, n, workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(work: Path, n: int, workers: int) -> str:
    folder = work / "notices"
    write_folder(folder, n)
    cpu0 = time.process_time()
    floor = lxml_parse_seconds(folder)
    floor_cpu = time.process_time() - cpu0
    floor_cores = lxml_parse_seconds(folder, workers)
    store = Store(f"sqlite:///{work / 'ingest.sqlite'}")
    store.migrate()
    before, started = os.times(), time.perf_counter()
    result = collect(NoticeFiles(name="profile", path=folder), store, replace(load_settings(), workers=workers))
    wall, after = time.perf_counter() - started, os.times()
    main = (after.user + after.system) - (before.user + before.system)
    children = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    return (f"{result.new:,} notices, {workers} workers: ingest {wall:.2f} s wall, {main + children:.2f} s CPU "
            f"(collector {main:.2f} s, workers {children:.2f} s); lxml bare parse {floor:.2f} s wall, "
            f"{floor_cpu:.2f} s CPU on one core.\nCPU ratios to lxml's CPU: all {(main + children) / floor_cpu:.2f}, "
            f"collector {main / floor_cpu:.2f}, workers {children / floor_cpu:.2f}; "
            f"wall ratio {wall / floor:.2f}; to lxml on {workers} cores ({floor_cores:.2f} s) "
            f"{wall / floor_cores:.2f} (the benchmark's ratio).")  # fmt: skip


def summary(raw: Path, top: int = 15) -> str:
    """py-spy's raw (collapsed) stacks as each process's share per function, self and inclusive."""
    total: collections.Counter[str] = collections.Counter()
    own: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    inclusive: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        last = max(i for i, f in enumerate(frames) if f.startswith("process "))
        if last == 0 and not any(f.startswith("collect (radar/pipeline") for f in frames):
            continue  # the collector outside the ingest: imports, writing the inputs, lxml's floor
        who, frames = ("collector" if last == 0 else "workers"), frames[last + 1 :]
        start = next((i for i, f in enumerate(frames) if f.startswith("_process_worker")), 0)
        frames = frames[start:]  # a forked worker's stack begins with its parent's at the fork
        if not frames:
            continue
        names = [re.sub(r" \((?:.*/)?([^/]+:\d+)\)$", r" (\1)", f) for f in frames]
        total[who] += int(count)
        own[who][names[-1]] += int(count)
        for name in set(names):
            inclusive[who][name] += int(count)
    out = []
    for who, n in total.most_common():
        out.append(f"{who}: {n} samples")
        out += [f"  self {c / n:6.1%}  {f}" for f, c in own[who].most_common(top)]
        out += [f"  incl {c / n:6.1%}  {f}" for f, c in inclusive[who].most_common(top * 2)]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description="time the ingest against lxml; summarize a py-spy profile")
    parser.add_argument("notices", type=int, nargs="?", default=3700)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--summary", type=Path, help="a py-spy --format raw file to summarize instead")
    args = parser.parse_args()
    print(summary(args.summary) if args.summary else measure(args.notices, args.workers))


if __name__ == "__main__":
    main()
