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
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from .entry import BLAS_THREAD_VARIABLES
from .spawned import ready, start_worker

#: Each worker process gets one BLAS thread (its environment, read when numpy loads).
ONE_THREAD = {name: "1" for name in BLAS_THREAD_VARIABLES}

#: The signals that stop a run; held back while worker processes are spawned (see below).
STOPS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def stops_deferred():
    """Defer Ctrl-C and SIGTERM while worker processes are spawned, then act on them.

    A signal that cut a spawn short would leave a started process the pool does not know of
    (it would outlive the run). Python runs signal handlers in the main thread only, so a
    handler that notes the signal defers it whichever thread the kernel hands it to; blocking
    the signals in this thread as well is inherited by the spawned processes, which so cannot
    be cut short while they import (they unblock once their Ctrl-C is ignored). Outside the main
    thread handlers cannot be set, and the spawn is not guarded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    handlers = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in STOPS}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])  # now handled as it would have been (KeyboardInterrupt, ...)


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
            for _ in range(processes):
                self.submit(ready)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def submit(self, function, *args):
        with stops_deferred():
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
    finally:
        _kept = outer


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


def default_workers(paths: int) -> int:
    """Worker processes for a run of ``paths`` paths (per variant): every core of this machine
    from :data:`PARALLEL_FROM_PATHS` paths on, else one. It is the chunk count that pays for the
    workers' start-up and for the summaries they send back (about 36 MB per variant per task):
    seven variants at 100,000 paths ran slower on two workers (11.7 s against 9.2 s), at 400,000
    paths faster (18.4 s against 24.8 s)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if paths >= PARALLEL_FROM_PATHS else 1
