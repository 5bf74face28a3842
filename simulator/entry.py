"""The ``simulate`` command's entry point, kept free of heavy imports: Ctrl-C or SIGTERM while
numpy, scipy and pandas load is one line and status 130 or 143, as during a run (see
:mod:`simulator.cli`)."""

import os
import signal
import sys
import threading

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
    # While the libraries load, a signal ends the process from its handler: nothing is open yet,
    # and an exception raised inside a library's import could be swallowed by it (the run would
    # then go on). A Ctrl-C the process inherited as ignored (a background job) stays ignored.
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _stop_while_loading)
    previous_term = signal.signal(signal.SIGTERM, _stop_while_loading)
    try:
        from .cli import main as cli_main

        if previous_int is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, raise_terminated)
        return cli_main(argv)  # handles both signals from here on
    finally:
        signal.signal(signal.SIGTERM, previous_term)


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
