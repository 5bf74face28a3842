"""Run a Monte Carlo's chunks on a ``dask.distributed`` cluster (``--dask ADDRESS`` or ``local``).

The same batches of whole blocks as on local processes go to the cluster as tasks; each task
returns its batch's mergeable summaries (integer counts, exact minima and maxima), merged here as
they arrive, so the numbers are the same as a local run's whatever the cluster's size or the order
of the tasks. The variants are sent once (scattered to every worker) and set up once per worker
process. Workers must run this package at the same version (``pip install -e '.[dask]'`` in the
environment the workers start from). dask is an optional extra, imported only here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle

from .errors import InputError

#: What each worker process has set up: payload digest → setups (one run at a time is kept).
_WORKER_SETUPS: dict[str, list] = {}

#: How long to try to reach a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = "10s"


def _task(payload: bytes, digest: str, batch: list) -> tuple:
    """One task on a dask worker: the run's variants (set up once per worker) on one batch."""
    from threadpoolctl import threadpool_limits

    from .allocator import keep_freed_memory
    from .runner import _run_batch, _Setup

    setups = _WORKER_SETUPS.get(digest)
    if setups is None:
        keep_freed_memory()
        _WORKER_SETUPS.clear()
        setups = _WORKER_SETUPS[digest] = [_Setup(v) for v in pickle.loads(payload)]
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_batch(setups, batch)


def _client(address: str):
    """A client of the scheduler at ``address``, or of a LocalCluster (one single-threaded worker
    process per core) for ``local``; and the cluster to close, if one was started."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--dask needs dask.distributed, which is not installed: pip install -e '.[dask]'",
                         file="command line", key="--dask") from None
    if address == "local":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        cluster = LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR)
        return Client(cluster), cluster
    try:
        return Client(address, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"cannot reach a dask scheduler at '{address}' ({error}); start one with "
                         "'dask scheduler' and workers with 'dask worker ADDRESS', or give --dask local",
                         file="command line", key="--dask") from None


def on_dask(variants, work: list, address: str):
    """Yield the merged summaries of each batch of ``work`` (lists of (block, paths)) as the
    cluster at ``address`` finishes it; the client (and a local cluster) close on the way out."""
    from dask.distributed import as_completed

    from .runner import _batches, _tapered

    client, cluster = _client(address)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        batches = _tapered(_batches(work, n_workers), n_workers)
        payload = pickle.dumps(list(variants), protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(payload).hexdigest()
        [shared] = client.scatter([payload], broadcast=True)
        futures = [client.submit(_task, shared, digest, batch, pure=False) for batch in batches]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
