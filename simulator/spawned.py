"""What a worker process runs: its start, and the state of its tasks. Kept free of heavy imports.

The parent hands a new worker its start-up data through a pipe; naming only this module there
lets the worker import numpy, scipy and the engine after the hand-over (in :func:`start_worker`),
side by side with the parent's own work. Local workers (:mod:`simulator.pool`) and dask workers
(:mod:`simulator.dask_backend`) get each task's state the same way, as a pickled
(build, argument) and its digest, and build it once (:func:`state_for`).
"""

import importlib
import pickle
import signal

#: The state a worker process built last: {digest: state} (one at a time is kept).
_STATE: dict = {}


def start_worker() -> None:
    """Pool initializer. Ctrl-C is the parent's to handle (it terminates the workers), so a
    worker prints no traceback; SIGTERM, held back since the spawn, may now end the worker. Then
    it imports the engine, ahead of its first task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    importlib.import_module(".runner", __package__)  # numpy, scipy and the engine, while the parent prepares


def ready() -> None:
    """The no-op task that makes a pool spawn its processes at once."""


def state_for(digest: str, payload: bytes):
    """The state of a task: built from ``payload`` (a pickled (build, argument): build(argument))
    the first time ``digest`` is seen, then kept until another digest comes."""
    if digest not in _STATE:
        from .allocator import keep_freed_memory

        keep_freed_memory()  # a worker process is the run's alone, as the command line's is
        _STATE.clear()  # the previous phase's state, no longer needed
        build, argument = pickle.loads(payload)
        _STATE[digest] = build(argument)
    return _STATE[digest]
