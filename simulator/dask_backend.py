"""Run a Monte Carlo's chunks on a ``dask.distributed`` cluster (``--dask ADDRESS`` or ``local``).

The same batches of whole blocks as on local processes go to the cluster as tasks; each task
returns its batch's mergeable summaries (integer counts, exact minima and maxima), merged here as
they arrive, so the numbers are the same as a local run's whatever the cluster's size or the order
of the tasks. The variants are sent once (scattered to every worker) and set up once per worker
process. Independent items of other work (:func:`simulator.runner.map_tasks`) go the same way,
their results put back in order. Workers must run this package at the same version
(``pip install -e '.[dask]'`` in the environment the workers start from). dask is an optional
extra, imported only here.
"""

from __future__ import annotations

import hashlib
import logging
import os

from .errors import InputError

#: How long to try to reach a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = "10s"


def _task(payload: bytes, digest: str, function, item):
    """One task on a dask worker: function(state, item), the state built once per worker process
    from the payload, as for local workers (:func:`simulator.spawned.state_for`)."""
    from threadpoolctl import threadpool_limits

    from .spawned import state_for

    with threadpool_limits(limits=1, user_api="blas"):
        return function(state_for(digest, payload), item)


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


def _completed(function, payload: bytes, items_for, address: str):
    """Yield (index, function(state, item)) for every item of ``items_for(worker count)`` as the
    cluster at ``address`` finishes it; the client (and a local cluster) close on the way out."""
    from dask.distributed import as_completed

    client, cluster = _client(address)
    try:
        items = items_for(max(1, len(client.scheduler_info().get("workers", {}))))
        digest = hashlib.sha256(payload).hexdigest()
        [shared] = client.scatter([payload], broadcast=True)
        futures = {client.submit(_task, shared, digest, function, item, pure=False): index
                   for index, item in enumerate(items)}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            client.cancel(list(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def on_dask(variants, work: list, address: str):
    """Yield the merged summaries of each batch of ``work`` (lists of (block, paths)) as the
    cluster at ``address`` finishes it."""
    from .runner import _batches, _for_workers, _payload, _run_batch, _setups, _tapered

    variants = list(variants)

    def batches(n_workers: int) -> list:
        return _tapered(_batches(work, n_workers, len(variants)), n_workers)

    for _, part in _completed(_run_batch, _payload(_setups, _for_workers(variants)), batches, address):
        yield part


def completed_on_dask(function, payload: bytes, items: list, address: str):
    """Yield (index, function(state, item)) as the cluster at ``address`` finishes each item, the
    state built once per worker from ``payload`` (:func:`simulator.runner.map_tasks`)."""
    yield from _completed(function, payload, lambda n_workers: items, address)
