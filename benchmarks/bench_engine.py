"""Throughput and memory of the full model, as the command line runs it; prints figures and
ratios, never fails on timing.

Usage::

    .venv/bin/python -m benchmarks                              # 1,000,000 paths of scenarios/base.toml
    .venv/bin/python benchmarks/bench_engine.py --paths 200000 --chunk-size 32768 --largest 0 --no-report

Every timed run is a fresh process started as ``simulate`` starts (the allocator setting of the
command line, one BLAS thread unless the environment sets a count, as :mod:`simulator.entry`
does); the whole command is also timed as a user runs it (``python -m simulator``), with one
and with every worker, with ``--dask local`` where dask is installed, and at 1,000 paths (its
start-up). The shipped variants on one draw are timed against one run each. Reference measured
in the same run: the time to draw the chunk's raw variates alone on one
core (:func:`simulator.draws.draw`, the irreducible cost of the Monte Carlo), so the ratio
"model / draws" is comparable across machines. Each stage of one chunk is timed on its own
(histograms and joint counts apart), and chunk sizes are compared. Baseline: the same model
run one path at a time (the engine's functions on one-path arrays). Memory, at two path counts
with the same chunk size: the peak of what numpy and Python allocate (tracemalloc, in a run of
its own) and the peak resident set; bounded memory means the two traced peaks are equal. The
largest run (10 million paths by default, on every core) gives paths/s and the resident set at
that scale.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _one_run(paths: int, chunk: int, scenario: str, trace: bool, workers: int) -> dict:
    """Run in this process; report wall time, peak RSS and, if ``trace``, peak traced memory (MiB)."""
    import resource
    import tracemalloc

    import simulator
    from simulator.allocator import keep_freed_memory

    keep_freed_memory()  # as the command line does
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    result = simulator.run(scenario, paths=paths, chunk_size=chunk, workers=workers)
    elapsed = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"paths": paths, "seconds": elapsed, "peak_mib": peak_mib, "traced_mib": traced,
            "targets": sum(t.p_hit is not None for t in result.targets)}


def _in_subprocess(paths: int, chunk: int, scenario: str, *, trace: bool = False, workers: int = 1) -> dict:
    code = ("import json, sys; sys.path.insert(0, %r); from benchmarks.bench_engine import _one_run; "
            "print(json.dumps(_one_run(%d, %d, %r, %r, %d)))" % (str(REPO), paths, chunk, scenario, trace, workers))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                         env=_command_environment())
    return json.loads(out.stdout.strip().splitlines()[-1])


def _variants_cost(paths: int, chunk: int, scenario: str) -> dict:
    """Seconds of the base and the shipped variants on one draw against one run each (in this process)."""
    from pathlib import Path as _Path

    import simulator  # noqa: F401  (imports outside the timing)
    from simulator.allocator import keep_freed_memory
    from simulator.inputs import resolve
    from simulator.runner import Variant, run_variants
    from simulator.scenario import load_scenario

    keep_freed_memory()
    files = [scenario] + sorted(str(f) for f in (_Path(scenario).parent / "variants").glob("*.toml"))
    variants = [Variant(resolve(load_scenario(f, paths=paths, chunk_size=chunk))) for f in files]
    start = time.perf_counter()
    run_variants(variants)
    together = time.perf_counter() - start
    start = time.perf_counter()
    for v in variants:
        run_variants([v])
    return {"k": len(variants), "together": together, "separately": time.perf_counter() - start}


def _call_in_subprocess(function: str, *args) -> dict:
    """``function(*args)`` of this module in a fresh process set up as ``simulate`` sets itself up."""
    code = ("import json, sys; sys.path.insert(0, %r); from benchmarks import bench_engine; "
            "print(json.dumps(bench_engine.%s(*%r)))" % (str(REPO), function, args))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                         env=_command_environment())
    return json.loads(out.stdout.strip().splitlines()[-1])


def _planner_report(scenario: str) -> dict:
    """Wall seconds of a planner's full report: the base and every shipped variant compared with
    the sensitivity analysis (``simulate report --compare ... --sensitivity``), and the
    what-it-takes table (``simulate solve --all --lever investment_share``), as a user runs them."""
    import tempfile

    variants = sorted(str(f) for f in (Path(scenario).parent / "variants").glob("*.toml"))
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, argv in {"report": ["report", scenario, "--compare", *variants, "--sensitivity", "--quiet",
                                      "--out", str(Path(folder) / "report")],
                           "solve_all": ["solve", scenario, "--all", "--lever", "investment_share", "--no-write"]}.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "simulator", *argv], capture_output=True, check=True, cwd=REPO,
                           env=dict(os.environ))
            out[name] = time.perf_counter() - start
    out["total"] = sum(out.values())
    return out


def _command_environment() -> dict[str, str]:
    """The environment as ``simulate`` sets it up for itself (one BLAS thread unless chosen)."""
    from simulator.entry import one_blas_thread

    env = dict(os.environ)
    one_blas_thread(env)
    return env


def _whole_command(paths: int, chunk: int, scenario: str, workers: int | str) -> float:
    """Wall seconds of ``simulate SCENARIO --no-write --quiet``: imports, run, outside view, table;
    ``workers`` a count, or ``"dask"`` for ``--dask local``."""
    backend = ["--dask", "local"] if workers == "dask" else ["--workers", str(workers)]
    argv = [sys.executable, "-m", "simulator", scenario, "--paths", str(paths), "--chunk-size", str(chunk),
            *backend, "--no-write", "--quiet"]
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, cwd=REPO, env=dict(os.environ))
    return time.perf_counter() - start


def _best(f, repeat: int = 3):
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - start)
    return min(times), value


def _stages(scenario: str, chunk_size: int) -> dict[str, float]:
    """Best-of-three seconds of each stage of the pipeline on one chunk (where the time goes)."""
    import numpy as np

    from simulator import draws
    from simulator.allocator import keep_freed_memory
    from simulator.engine import _core, path_values
    from simulator.evaluate import evaluate
    from simulator.inputs import resolve
    from simulator.runner import Variant, _Setup
    from simulator.satellites.engine import simulate_satellites
    from simulator.scenario import load_scenario

    np.seterr(all="ignore")
    keep_freed_memory()  # as the command line does
    inputs = resolve(load_scenario(scenario))
    chunk = draws.chunks(chunk_size, inputs.contract.block_size, chunk_size)[0]
    out = {}
    out["draws"], drawn = _best(lambda: draws.draw(inputs.contract, chunk))
    base = {name: v.value for name, v in inputs.calibration.base.items()}
    out["parameters and prior hits"], values = _best(lambda: path_values(inputs, drawn))
    params = dict(values.parameters)
    out["core model"], core = _best(lambda: _core(inputs, params, base, drawn, inputs.levers))
    out["satellite models"], sat = _best(lambda: simulate_satellites(
        inputs.satellites, core, values.satellite_parameters, drawn, volatility_scale=inputs.volatility_scale))
    setup = _Setup(Variant(inputs))
    series = {**core, **sat}
    out["evaluation"], evaluation = _best(lambda: evaluate(setup.plan, series, values.prior_hits))
    summary = setup.empty()
    out["histograms"], _ = _best(lambda: summary.add_to_histograms(evaluation, series))
    out["joint counts"], _ = _best(lambda: summary.joint.add(evaluation.hits))
    return out


def _summary_megabytes(scenario: str) -> float:
    """MB of integer counts one variant's summary holds (fixed whatever the path count)."""
    from simulator.inputs import resolve
    from simulator.runner import Variant, _Setup
    from simulator.scenario import load_scenario

    summary = _Setup(Variant(resolve(load_scenario(scenario)))).empty()
    histograms = [*summary.target_histograms.values(), *summary.series_histograms.values()]
    arrays = [a for h in histograms for a in (h.counts, h.low, h.high, h.ref)] + [summary.joint.cohits, summary.hits]
    return sum(a.nbytes for a in arrays) / 1e6


def _per_path_loop(scenario: str, paths: int) -> dict:
    """The same model run one path at a time: the engine's functions, the evaluation and the
    summaries called once per path (numpy on one-path arrays), the cost of looping over paths
    instead of vectorising across them. Seconds for ``paths`` paths, in this process."""
    from simulator.allocator import keep_freed_memory
    from simulator.draws import chunks, draw
    from simulator.engine import simulate
    from simulator.evaluate import evaluate
    from simulator.inputs import resolve
    from simulator.runner import Variant, _Setup
    from simulator.scenario import load_scenario

    import numpy as np

    np.seterr(all="ignore")
    keep_freed_memory()
    inputs = resolve(load_scenario(scenario))
    setup = _Setup(Variant(inputs))
    drawn = draw(inputs.contract, chunks(paths, inputs.contract.block_size, paths)[0])
    summary = setup.empty()
    start = time.perf_counter()
    for i in range(paths):
        one = drawn.take(np.array([i]))
        outcomes = simulate(inputs, one, inputs.levers)
        summary.add(evaluate(setup.plan, outcomes.series, outcomes.prior_hits), outcomes.series)
    return {"paths": paths, "seconds": time.perf_counter() - start}


def _chunk_sizes(scenario: str, paths: int, sizes: tuple[int, ...]) -> dict[str, dict]:
    """Seconds per million paths and peak traced memory of one process at each chunk size."""
    out = {}
    for size in sizes:
        timed = _in_subprocess(paths, size, scenario)
        traced = _in_subprocess(paths, size, scenario, trace=True)
        out[str(size)] = {"seconds_per_million": timed["seconds"] / paths * 1e6, "traced_peak_mib": traced["traced_mib"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=32_768)
    parser.add_argument("--scenario", default=str(REPO / "scenarios" / "base.toml"))
    parser.add_argument("--no-report", action="store_true", help="skip the planner's full report (about a minute)")
    parser.add_argument("--largest", type=int, default=10_000_000,
                        help="paths of the largest run, on every core, for its paths/s and peak memory (0: skip; "
                             "10 million take about 1.5 minutes on two cores)")
    parser.add_argument("--loop-paths", type=int, default=300, help="paths of the one-path-at-a-time baseline")
    parser.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results" / "latest.json",
                        help="where to write the figures and the machine's description (JSON)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    from simulator.entry import one_blas_thread

    one_blas_thread()  # before numpy loads, in this process too: the stage timings are on one core
    print(f"modules with current bytecode: {_bytecode_cached()} (set-up compiles them: see the README)")

    one = _in_subprocess(args.paths, args.chunk_size, args.scenario)
    many = _in_subprocess(args.paths, args.chunk_size, args.scenario, workers=cores) if cores > 1 else one
    small = _in_subprocess(max(args.paths // 10, 1), args.chunk_size, args.scenario)
    big_traced = _in_subprocess(args.paths, args.chunk_size, args.scenario, trace=True)
    small_traced = _in_subprocess(max(args.paths // 10, 1), args.chunk_size, args.scenario, trace=True)
    stages = _stages(args.scenario, args.chunk_size)
    commands = {w: _whole_command(args.paths, args.chunk_size, args.scenario, w) for w in sorted({1, cores})}
    small_command = _whole_command(1000, args.chunk_size, args.scenario, 1)
    try:
        import dask.distributed  # noqa: F401
        on_dask = _whole_command(args.paths, args.chunk_size, args.scenario, "dask")
    except ImportError:
        on_dask = None
    variants = _call_in_subprocess("_variants_cost", max(args.paths // 10, 1), args.chunk_size, args.scenario)
    sizes = {n: _in_subprocess(n, args.chunk_size, args.scenario) for n in (10_000, 100_000) if n < args.paths}
    report = None if args.no_report else _planner_report(args.scenario)
    largest = (_in_subprocess(args.largest, args.chunk_size, args.scenario, workers=cores)
               if args.largest > args.paths else None)
    loop = _call_in_subprocess("_per_path_loop", args.scenario, args.loop_paths)
    chunk_sweep = _chunk_sizes(args.scenario, 4 * 65_536, (16_384, 32_768, 65_536))
    summary_mb = _summary_megabytes(args.scenario)
    sizes[args.paths] = one
    chunks = args.paths / args.chunk_size
    reference = stages["draws"] * chunks
    print(f"full model, {one['paths']:,} paths, chunk {args.chunk_size:,}, {one['targets']} targets evaluated:")
    print(f"  one process:      {one['seconds']:.2f} s ({one['paths'] / one['seconds'] / 1e6:.2f} M paths/s)")
    print(f"  {cores} worker processes: {many['seconds']:.2f} s (speed-up {one['seconds'] / many['seconds']:.2f})")
    print("  whole command (start-up, run, outside view, table; --no-write): "
          + ", ".join(f"{seconds:.2f} s with {w} worker{'s' if w > 1 else ''}" for w, seconds in commands.items())
          + ("" if on_dask is None else f", {on_dask:.2f} s with --dask local ({cores} workers)"))
    print(f"  the whole command at 1,000 paths: {small_command:.2f} s (start-up); aim 1 s")
    print(f"  {variants['k']} variants on one draw ({max(args.paths // 10, 1):,} paths): {variants['together']:.2f} s "
          f"together, {variants['separately']:.2f} s as {variants['k']} runs "
          f"(ratio {variants['together'] / variants['separately']:.2f})")
    print("  paths per second, one process: " + ", ".join(f"{n:,}: {r['paths'] / r['seconds'] / 1e6:.3f} M"
                                                           for n, r in sizes.items()))
    if largest is not None:
        # the speed-up where the serial part (imports, set-up, results: about half a second) is
        # small beside the run: its paths/s against one process's at args.paths
        scaling = largest["paths"] / largest["seconds"] / (one["paths"] / one["seconds"])
        largest["speed_up_against_one_process_rate"] = scaling
        print(f"  {largest['paths']:,} paths on {cores} workers: {largest['seconds']:.1f} s "
              f"({largest['paths'] / largest['seconds'] / 1e6:.3f} M paths/s, {scaling:.2f}× one process's rate at "
              f"{one['paths']:,}), peak resident set of this process {largest['peak_mib']:.0f} MiB")
    loop_rate = loop["paths"] / loop["seconds"]
    print(f"  baseline, the same model one path at a time ({loop['paths']} paths): {loop_rate:,.0f} paths/s; "
          f"vectorised one process is {one['paths'] / one['seconds'] / loop_rate:,.0f}× faster")
    if report is not None:
        print(f"  a planner's full report (base and variants compared, sensitivity; then solve --all): "
              f"{report['report']:.1f} s + {report['solve_all']:.1f} s = {report['total']:.1f} s; aim 120 s")
    print(f"reference: the run's raw draws alone on one core: {reference:.2f} s "
          f"({stages['draws']:.3f} s per chunk × {chunks:.1f} chunks)")
    print(f"ratio one process / draws: {one['seconds'] / reference:.2f}; aim 1.5")
    total = sum(stages.values())
    print(f"one chunk of {args.chunk_size:,} paths, seconds by stage (share): "
          + ", ".join(f"{name} {seconds:.3f} ({seconds / total:.0%})" for name, seconds in stages.items()))
    # the stages run warm (best of three on the same data); in the run each reads what the last wrote
    per_chunk = one["seconds"] / chunks
    print(f"  the stages sum to {total:.3f} s; the run took {per_chunk:.3f} s a chunk, set-up included "
          f"({per_chunk / total:.2f} times the sum)")
    print("chunk size: " + ", ".join(f"{int(k):,} paths {v['seconds_per_million']:.2f} s per million, peak "
                                     f"{v['traced_peak_mib']:.0f} MiB" for k, v in chunk_sweep.items()))
    print(f"summaries: {summary_mb:.1f} MB of counts per variant, whatever the path count (aim ≤ 64 MB)")
    print(f"peak allocated (tracemalloc): {small_traced['traced_mib']:.0f} MiB at {small['paths']:,} paths, "
          f"{big_traced['traced_mib']:.0f} MiB at {one['paths']:,} paths "
          f"(ratio {big_traced['traced_mib'] / small_traced['traced_mib']:.2f}; bounded memory keeps it at 1)")
    print(f"peak resident set: {small['peak_mib']:.0f} MiB at {small['paths']:,} paths, {one['peak_mib']:.0f} MiB at "
          f"{one['paths']:,} paths (ratio {one['peak_mib'] / small['peak_mib']:.2f}; includes what the allocator keeps)")
    figures = {"paths": args.paths, "chunk_size": args.chunk_size, "scenario": os.path.relpath(args.scenario, REPO),
               "one_process_seconds": one["seconds"], "workers": cores, "workers_seconds": many["seconds"],
               "whole_command_seconds": {str(w): t for w, t in commands.items()}, "dask_local_seconds": on_dask,
               "whole_command_1000_paths_seconds": small_command, "variants": variants, "planner_report_seconds": report,
               "paths_per_second": {str(n): r["paths"] / r["seconds"] for n, r in sizes.items()},
               "draws_reference_seconds": reference, "ratio_to_draws": one["seconds"] / reference,
               "stage_seconds_per_chunk": stages, "run_seconds_per_chunk": one["seconds"] / chunks, "chunk_sizes": chunk_sweep, "summary_mb_per_variant": summary_mb,
               "largest": largest, "per_path_loop": {**loop, "paths_per_second": loop_rate},
               "traced_peak_mib": {str(small["paths"]): small_traced["traced_mib"], str(one["paths"]): big_traced["traced_mib"]},
               "peak_rss_mib": {str(small["paths"]): small["peak_mib"], str(one["paths"]): one["peak_mib"]}}
    _write_results(args.results, figures)
    print(f"wrote {args.results}")


def _bytecode_cached() -> str:
    """How many of the package's modules have bytecode no older than their source: the README's
    set-up compiles them; without it, where PYTHONDONTWRITEBYTECODE is set, every process
    (each command, each worker) compiles them again, about 0.3 s here."""
    import importlib.util

    sources = sorted((REPO / "simulator").rglob("*.py"))
    cached = sum(1 for source in sources if (compiled := Path(importlib.util.cache_from_source(str(source)))).exists()
                 and compiled.stat().st_mtime >= source.stat().st_mtime)
    return f"{cached} of {len(sources)}"


def _machine() -> dict:
    """What the figures were measured on."""
    import platform

    import numpy as np

    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    blas = {}
    try:
        from threadpoolctl import threadpool_info

        blas = {i.get("internal_api", "?"): i.get("num_threads") for i in threadpool_info()}
    except ImportError:
        pass
    return {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__, "cpu": cpu,
            "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "blas_threads_here": blas, "bytecode_cached": _bytecode_cached()}


def _write_results(path: Path, figures: dict) -> None:
    """The figures and the machine, written whole or not at all (a temporary file renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps({"machine": _machine(), "figures": figures}, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


if __name__ == "__main__":
    main()
