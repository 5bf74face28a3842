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
    previous = signal.signal(signal.SIGTERM, raise_terminated) if threading.current_thread() is threading.main_thread() else None
    try:
        try:
            from .cli import main as cli_main
        except KeyboardInterrupt:
            _stopped("interrupted", 130)
        except Terminated:
            _stopped("terminated", 143)
        return cli_main(argv)  # handles both signals from here on
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stopped(message: str, status: int) -> None:
    """End the process at once with one line. Nothing is open yet; and Python, had a Ctrl-C
    landed in code an extension module runs through the C API while it loads, would end the
    process by SIGINT on the way out instead of with ``status``."""
    print(f"simulate: {message}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
