"""The ``simulate`` command's entry point, kept free of heavy imports: Ctrl-C or SIGTERM while
numpy, scipy and pandas load is one line and status 130 or 143, as during a run (see
:mod:`simulator.cli`)."""

import os
import signal
import sys
import threading
from contextlib import contextmanager

#: Thread-count variables of the BLAS libraries numpy may be built on.
BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread(environ=os.environ) -> None:
    """Give BLAS one thread unless the user chose a count (read once, when numpy loads).

    The model's matrix products are small (a shock-correlation factor times the draws, the hit
    indicators' co-occurrence): extra BLAS threads only spin, taking the other core from a worker
    process or another job (benchmarks/bench_engine.py measures both settings)."""
    for name in BLAS_THREAD_VARIABLES:
        environ.setdefault(name, "1")


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that temporary folders are removed on the way out."""


def raise_terminated(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    one_blas_thread()
    if threading.current_thread() is not threading.main_thread():
        from .cli import main as cli_main

        return cli_main(argv)
    with loading():
        from .cli import main as cli_main
    previous_term = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return cli_main(argv)  # handles both signals from here on
    finally:
        signal.signal(signal.SIGTERM, previous_term)


@contextmanager
def loading():
    """While the command line loads (before any worker process or file is open), a signal ends
    the process from its handler, with one line and status 130 or 143: an exception raised
    inside a library's import could be swallowed by it. A Ctrl-C the process inherited as
    ignored (a background job) stays ignored. Outside the main thread nothing is changed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _stop_while_loading)
    previous_term = signal.signal(signal.SIGTERM, _stop_while_loading)
    try:
        yield
    finally:
        if previous_int is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)


#: The signals that stop a run.
STOPS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_deferred():
    """Defer Ctrl-C and SIGTERM until the block ends, then act on them as the handlers in place
    then do (KeyboardInterrupt, :class:`Terminated`).

    Worker processes are spawned inside it: a signal that cut a spawn short would leave a started
    process the pool does not know of (it would outlive the run). Blocking the signals in this
    thread as well is inherited by the spawned processes, which so cannot be cut short while they
    import (they unblock once their Ctrl-C is ignored). Libraries are imported inside it once
    workers may run: an exception raised inside an import could be swallowed by the library, and
    a Ctrl-C inside some extension modules' start-up marks the interpreter as interrupted, so that
    it kills itself with SIGINT at exit whatever status the command returned. Python runs signal
    handlers in the main thread only, so a handler that notes the signal defers it whichever
    thread the kernel hands it to. Outside the main thread nothing is changed."""
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


def _stop_while_loading(signum, frame) -> None:
    if signum == signal.SIGINT:
        _stopped("interrupted", 130)
    _stopped("terminated", 143)


def _stopped(message: str, status: int) -> None:
    """End the process at once with one line (nothing is open yet)."""
    print(f"simulate: {message}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
