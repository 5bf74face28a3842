"""Throughput and memory of the full model; prints figures and ratios, never fails on timing.

Usage::

    python benchmarks/bench_engine.py                 # 1,000,000 paths of scenarios/base.toml
    python benchmarks/bench_engine.py --paths 200000 --chunk-size 32768

Reference measured in the same run: the time to draw the run's standard normals alone (the
irreducible cost of the Monte Carlo), so the ratio "model / draws" is comparable across machines.
Memory, at two path counts with the same chunk size, each in a fresh process: the peak of the
memory numpy and Python allocate (tracemalloc, in a run of its own so that tracing does not slow
the timed run) and the peak resident set (which also counts what the allocator keeps after a
free, so it drifts up with the number of chunks). Bounded memory means the two traced peaks are
equal.
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


def _one_run(paths: int, chunk: int, scenario: str, trace: bool) -> dict:
    """Run in this process; report wall time, peak RSS and, if ``trace``, peak traced memory (MiB)."""
    import resource
    import tracemalloc

    import simulator
    from simulator.allocator import keep_freed_memory

    keep_freed_memory()  # as the command line does
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    result = simulator.run(scenario, paths=paths, chunk_size=chunk)
    elapsed = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"paths": paths, "seconds": elapsed, "peak_mib": peak_mib, "traced_mib": traced,
            "targets": sum(t.p_hit is not None for t in result.targets)}


def _in_subprocess(paths: int, chunk: int, scenario: str, trace: bool = False) -> dict:
    code = ("import json, sys; sys.path.insert(0, %r); from benchmarks.bench_engine import _one_run; "
            "print(json.dumps(_one_run(%d, %d, %r, %r)))" % (str(REPO), paths, chunk, scenario, trace))
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    import os

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPO, env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _stages(scenario: str, chunk_size: int) -> dict[str, float]:
    """Best-of-three seconds of each stage on one chunk of the scenario (where the time goes)."""
    from simulator import runner
    from simulator.engine import block_draws, simulate_paths
    from simulator.priors import prior_hits
    from simulator.satellites.engine import chunk_draws, simulate_satellites
    from simulator.scenario import load_scenario

    loaded = load_scenario(scenario)
    setup, registry = runner.prepare(loaded)
    sat, priors = runner.prepare_extensions(loaded, setup, registry)
    chunk = next(runner._chunks(chunk_size, setup.block_size, chunk_size))
    factor = setup.shock_factor

    def best(f):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            value = f()
            times.append(time.perf_counter() - start)
        return min(times), value

    out = {}
    out["core draws"], parts = best(lambda: [block_draws(setup, b, n) for b, n in chunk])
    shocks = np.concatenate([s.T for _, s, _ in parts], axis=2).T
    params = {name: (np.concatenate([p[name] for p, _, _ in parts]) if isinstance(v, np.ndarray) else v)
              for name, v in parts[0][0].items()}
    disaster = np.concatenate([d for _, _, d in parts])
    out["core model"], core = best(lambda: simulate_paths(setup, params, shocks, disaster))
    if sat is not None:
        out["satellite draws"], sat_draws = best(lambda: chunk_draws(sat, chunk))
        out["satellite models"], _ = best(lambda: simulate_satellites(sat, core, sat_draws))
    if priors is not None:
        out["prior draws"], _ = best(lambda: [prior_hits(priors, seed=setup.seed, block=b, n_paths=n,
                                                         block_size=setup.block_size) for b, n in chunk])
    out["whole chunk"], _ = best(lambda: runner._simulate_chunk(setup, chunk, factor, sat, priors))
    return out


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

    from simulator.allocator import keep_freed_memory
    from simulator.parameters import SHOCKS

    keep_freed_memory()  # as the command line does

    big = _in_subprocess(args.paths, args.chunk_size, args.scenario)
    small = _in_subprocess(max(args.paths // 10, 1), args.chunk_size, args.scenario)
    big_traced = _in_subprocess(args.paths, args.chunk_size, args.scenario, trace=True)
    small_traced = _in_subprocess(max(args.paths // 10, 1), args.chunk_size, args.scenario, trace=True)
    reference = _draw_reference(args.paths, 5, len(SHOCKS))
    print(f"full model, {big['paths']:,} paths, chunk {args.chunk_size:,}, one thread: {big['seconds']:.2f} s "
          f"({big['paths'] / big['seconds'] / 1e6:.2f} M paths/s), {big['targets']} targets evaluated")
    print(f"reference: drawing the same {args.paths:,} × 5 × {len(SHOCKS)} normals alone: {reference:.2f} s")
    print(f"ratio model / draws: {big['seconds'] / reference:.1f}")
    stages = _stages(args.scenario, args.chunk_size)
    whole = stages.pop("whole chunk")
    print(f"one chunk of {args.chunk_size:,} paths: {whole:.3f} s to simulate (then the summaries); of which "
          + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in stages.items()))
    print(f"peak allocated (tracemalloc): {small_traced['traced_mib']:.0f} MiB at {small['paths']:,} paths, "
          f"{big_traced['traced_mib']:.0f} MiB at {big['paths']:,} paths "
          f"(ratio {big_traced['traced_mib'] / small_traced['traced_mib']:.2f}; bounded memory keeps it at 1)")
    print(f"peak resident set: {small['peak_mib']:.0f} MiB at {small['paths']:,} paths, {big['peak_mib']:.0f} MiB at "
          f"{big['paths']:,} paths (ratio {big['peak_mib'] / small['peak_mib']:.2f}; includes what the allocator keeps)")


if __name__ == "__main__":
    main()
