"""The first thing a spawned worker process runs, kept free of heavy imports.

The parent hands a new worker its start-up data through a pipe and waits until the worker has
read it all; the worker imports what that data names while reading. Naming only this module
there lets every worker import numpy, scipy and the engine after the hand-over, side by side,
instead of one after the other while the parent waits."""


def start_worker(payload: bytes) -> None:
    """Pool initializer: set the worker up from its pickled state (see :mod:`simulator.runner`)."""
    from .runner import _start_worker

    _start_worker(payload)
