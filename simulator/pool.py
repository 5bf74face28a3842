"""Local worker processes, spawned once and kept for a whole command.

A spawned worker takes about a second to import numpy, scipy and the engine. A command that runs
several phases on workers (a report: the base run, the comparison, the what-it-takes table, the
Sobol rows, the tornado) would pay that at every phase, and a run would pay it after its set-up.
Inside :func:`kept_pools` (the command line wraps every command in it) a pool, once started, stays
until the command ends, and :func:`start` starts one early, so its workers import while this
process reads the scenario and calibration. Outside it (the library API) each use gets a pool of
its own, closed when the use ends.

Workers get their state with each task, as a pickled (build, argument) and its digest; a worker
builds it once and keeps the last one it built (:func:`simulator.spawned.state_for`), so one pool
serves phases with different states. Only the standard library is imported here: the command
line can start workers before it imports numpy.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from .entry import BLAS_THREAD_VARIABLES, signals_deferred
from .spawned import ready, start_worker

#: Each worker process gets one BLAS thread (its environment, read when numpy loads).
ONE_THREAD = {name: "1" for name in BLAS_THREAD_VARIABLES}

class WorkerPool:
    """``processes`` spawned worker processes, started at once (each runs
    :func:`simulator.spawned.start_worker`, then waits for tasks)."""

    def __init__(self, processes: int):
        if processes < 1:
            raise ValueError("a pool needs at least one process")
        self.processes = processes
        saved = {name: os.environ.get(name) for name in ONE_THREAD}
        os.environ.update(ONE_THREAD)  # inherited by the spawned processes before they import numpy
        try:
            self.executor = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=start_worker)
            # a process is spawned on a submit that finds none idle: one no-op task each starts them all now
            try:
                for _ in range(processes):
                    self.submit(ready)
            except BaseException:  # a signal held back during a spawn: no process may outlive it
                self.terminate()
                raise
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def submit(self, function, *args):
        with signals_deferred():
            return self.executor.submit(function, *args)

    def close(self) -> None:
        """Let the processes finish their tasks and end."""
        self.executor.shutdown(wait=True)

    def terminate(self) -> None:
        """End the processes at once (the caller stopped: an error, Ctrl-C, SIGTERM)."""
        processes = list(getattr(self.executor, "_processes", {}).values())
        for process in processes:
            process.terminate()
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)


#: The kept pools by size, inside :func:`kept_pools`; None outside.
_kept: dict[int, WorkerPool] | None = None


@contextmanager
def kept_pools():
    """Keep every pool started inside until the block ends (a command), then close them, or
    terminate them if the block ends with an exception."""
    global _kept
    outer, _kept = _kept, {}
    try:
        yield
    except BaseException:
        for pool in _kept.values():
            pool.terminate()
        raise
    else:
        for pool in _kept.values():
            pool.close()
        if outer is None and _kept:
            _kept = outer
            _end_resource_tracker()
    finally:
        _kept = outer


def _end_resource_tracker() -> None:
    """End multiprocessing's resource tracker, a process the first pool started, and wait for it:
    left alone it ends only when this process has exited, and outlives the command in its process
    group (a zombie until the system reaps it). The closed pools' semaphores are collected first,
    so that none is left for the tracker to unlink under them; the next pool starts a new one."""
    import gc
    from multiprocessing import resource_tracker

    stop = getattr(getattr(resource_tracker, "_resource_tracker", None), "_stop", None)
    # private in CPython 3.8–3.13 (without it the tracker ends as before); other processes of this
    # one (a Dask LocalCluster's) share the tracker, and it would not end before them
    if stop is not None and not multiprocessing.active_children():
        gc.collect()
        stop()


def start(processes: int) -> None:
    """Start a kept pool of ``processes`` workers now, ahead of its first use (inside
    :func:`kept_pools`; elsewhere, and for fewer than one process, nothing)."""
    if _kept is not None and processes >= 1 and processes not in _kept:
        _kept[processes] = WorkerPool(processes)


@contextmanager
def pool_of(processes: int):
    """A pool of ``processes`` workers for one use: the kept one of that size (started now if
    none is), else one closed when the use ends. If the use fails or is abandoned, the pool is
    terminated and, if kept, forgotten (a later use starts a new one)."""
    kept = _kept is not None
    if kept:
        start(processes)
        pool = _kept[processes]
    else:
        pool = WorkerPool(processes)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        if kept and _kept.get(processes) is pool:
            del _kept[processes]
        raise
    if not kept:
        pool.close()


#: From this many paths the command line runs on every core by default (starting a worker
#: process costs about a second).
PARALLEL_FROM_PATHS = 400_000


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def at_most_cores(requested: int | None) -> int | None:
    """A ``--workers`` count capped at :func:`cores`, saying so on stderr when it is: processes
    beyond the cores only share them, and each costs its start-up (99 on two cores took 45 s
    more than two for a 14 s run). Never changes a number. None (not given) stays None."""
    available = cores()
    if requested is None or requested <= available:
        return requested
    cores_here = f"{available} core{'s' if available > 1 else ''}"
    print(f"simulate: --workers {requested} is more than the {cores_here} here: running {available} "
          "(the numbers do not depend on it)", file=sys.stderr)
    return available


def default_workers(paths: int) -> int:
    """Worker processes for a run of ``paths`` paths (per variant): every core of this machine
    from :data:`PARALLEL_FROM_PATHS` paths on, else one. It is the chunk count that pays for the
    workers' start-up and for the summaries they send back (about 36 MB per variant per task):
    seven variants at 100,000 paths ran slower on two workers (11.7 s against 9.2 s), at 400,000
    paths faster (18.4 s against 24.8 s)."""
    return cores() if paths >= PARALLEL_FROM_PATHS else 1


def processes_for(workers: int, *, paths: int, block_size: int, chunk_size: int) -> int:
    """The worker processes a run of ``paths`` on ``workers`` processes uses besides this one:
    none when the paths make one chunk (:func:`simulator.draws.chunks`), which runs here."""
    blocks = -(-paths // block_size)
    return workers - 1 if workers > 1 and blocks > max(1, chunk_size // block_size) else 0
