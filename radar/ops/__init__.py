"""Operating the radar: ``status``, health and freshness, the benchmarks (``bench``, ``bench_scale``),
profiling, and the hostile inputs the benchmarks feed."""
