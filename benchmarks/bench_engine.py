"""Throughput and memory of the full model; prints figures and ratios, never fails on timing.

Usage::

    python benchmarks/bench_engine.py                 # 1,000,000 paths of scenarios/base.toml
    python benchmarks/bench_engine.py --paths 200000 --chunk-size 32768

Reference measured in the same run: the time to draw the run's standard normals alone (the
irreducible cost of the Monte Carlo), so the ratio "model / draws" is comparable across machines.
Memory: peak resident set of a fresh process at two path counts with the same chunk size; bounded
memory means the two peaks are close.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _one_run(paths: int, chunk: int, scenario: str) -> dict:
    """Run in this process; report wall time and peak RSS (MiB)."""
    import resource

    import simulator

    start = time.perf_counter()
    result = simulator.run(scenario, paths=paths, chunk_size=chunk)
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"paths": paths, "seconds": elapsed, "peak_mib": peak_mib,
            "targets": sum(t.p_hit is not None for t in result.targets)}


def _in_subprocess(paths: int, chunk: int, scenario: str) -> dict:
    code = ("import json, sys; sys.path.insert(0, %r); from benchmarks.bench_engine import _one_run; "
            "print(json.dumps(_one_run(%d, %d, %r)))" % (str(REPO), paths, chunk, scenario))
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    import os

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPO, env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _draw_reference(paths: int, years: int, shocks: int) -> float:
    rng = np.random.Generator(np.random.PCG64(0))
    start = time.perf_counter()
    block = 65536
    for first in range(0, paths, block):
        rng.standard_normal((min(block, paths - first), years, shocks))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=65_536)
    parser.add_argument("--scenario", default=str(REPO / "scenarios" / "base.toml"))
    args = parser.parse_args()

    from simulator.parameters import SHOCKS

    big = _in_subprocess(args.paths, args.chunk_size, args.scenario)
    small = _in_subprocess(max(args.paths // 10, 1), args.chunk_size, args.scenario)
    reference = _draw_reference(args.paths, 5, len(SHOCKS))
    print(f"full model, {big['paths']:,} paths, chunk {args.chunk_size:,}, one thread: {big['seconds']:.2f} s "
          f"({big['paths'] / big['seconds'] / 1e6:.2f} M paths/s), {big['targets']} targets evaluated")
    print(f"reference: drawing the same {args.paths:,} × 5 × {len(SHOCKS)} normals alone: {reference:.2f} s")
    print(f"ratio model / draws: {big['seconds'] / reference:.1f}")
    print(f"peak memory: {small['peak_mib']:.0f} MiB at {small['paths']:,} paths, {big['peak_mib']:.0f} MiB at "
          f"{big['paths']:,} paths (ratio {big['peak_mib'] / small['peak_mib']:.2f}; bounded memory keeps it near 1)")


if __name__ == "__main__":
    main()
