"""``python -m benchmarks``: the engine benchmark (:mod:`benchmarks.bench_engine`)."""

from .bench_engine import main

main()
