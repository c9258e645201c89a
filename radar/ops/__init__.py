"""Operating the radar: ``status``, the benchmarks (``bench``, ``bench_scale``),
profiling, and the hostile inputs the benchmarks feed."""
