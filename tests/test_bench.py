"""A tiny run of the benchmark, so that it cannot rot. No time is asserted."""

from __future__ import annotations

import io
from pathlib import Path

from radar.ops.bench import Options, notices, run
from scrapers.notices import parse_document


def test_synthesized_notices_are_distinct_and_parse() -> None:
    tenders = [t for i, data in enumerate(notices(40)) for t in parse_document(data, f"n{i}")]
    assert len(tenders) == 40
    assert len({t.id for t in tenders}) == 40  # each copy has its own id: nothing is cached
    assert len({t.buyer_name for t in tenders}) > 30


def test_a_tiny_benchmark_prints_and_writes_every_case(tmp_path: Path, pg_url: str) -> None:
    out = io.StringIO()
    target = tmp_path / "benchmarks.md"
    opts = Options(day=40, big=60, subscribers=30, package_mb=1, repeat=2, pg_url=pg_url, output=target, workers=2)
    rows = run(opts, out=out)
    cases = [r.case for r in rows]
    assert cases[:8] == [
        "ingest (sqlite)", "idle rerun (sqlite)", "ingest (postgresql)", "idle rerun (postgresql)",
        "ingest (sqlite)", "idle rerun (sqlite)", "ingest (postgresql)", "idle rerun (postgresql)",
    ]  # fmt: skip
    assert {"streaming package", "matching + composing", "rendering digests", "classification"} <= set(cases)
    first = rows[0]
    assert first.extra["new"] == 40 and first.extra["errors"] == 0 and first.extra["skipped"] == 40
    assert len(first.runs) == 2
    text = target.read_text()
    assert "| ingest (sqlite) | 40 notices" in text and "cores" in text
    assert out.getvalue().startswith("| case |")


def test_a_tiny_store_at_scale_case_times_every_page_and_keeps_its_section(tmp_path: Path) -> None:
    from radar.ops.bench_scale import generate, run, write_section

    sample = [t for t, _ in generate(2000)]
    swedish = [t for t in sample if t.buyer_country == "SE"]
    assert 20 < len(swedish) < 200 and len({t.buyer_country for t in sample}) > 10  # Europe, some Sweden
    target = tmp_path / "benchmarks.md"
    target.write_text("# Benchmarks\n\nthe other cases\n")
    text = run(scale=0.005, repeat=2, pg_url=None, output=target)
    pages = [line for line in text.splitlines() if "(sqlite)" in line and "ms |" in line and "/tenders" not in line]
    assert len(pages) == 10 and all("| 2 |" in line for line in pages)  # each page and CSV, twice
    searches = [line for line in text.splitlines() if line.startswith("| search /tenders at 1,000: ")]
    assert len(searches) == 6 and all("| 2 |" in line for line in searches)  # each search over HTTP, twice
    assert "peak memory (sqlite)" in text
    written = target.read_text()
    assert written.startswith("# Benchmarks\n\nthe other cases") and "## The store at scale" in written
    write_section(target, "<!-- store-at-scale -->\nagain\n<!-- /store-at-scale -->\n")
    assert target.read_text().count("store-at-scale -->") == 2 and "the other cases" in target.read_text()
