"""The Monte Carlo loop: over chunks of paths and over variants, nothing else.

For each chunk it draws once (:func:`simulator.draws.draw`), then for each variant simulates
(:func:`simulator.engine.simulate`), evaluates (:func:`simulator.evaluate.evaluate`) and adds to
that variant's :class:`~simulator.summaries.Summary`, and counts the paired hits of every pair of
variants (:class:`~simulator.summaries.PairedCounts`). Chunks are independent and their summaries
merge exactly, so they can run in any order on several local processes (``workers``) and the
numbers are the same for any chunk size and worker count. Memory is bounded by ``workers`` chunks.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import deque
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from . import __version__
from .draws import chunks, draw, neutral
from .engine import PathValues, path_values, simulate
from .errors import InputError
from .evaluate import Plan, evaluate, make_plan
from .inputs import Inputs, evaluated_targets, resolve
from .levers import ResolvedLevers
from .metrics import SERIES
from .nowcast import condition, show_published
from .pool import default_workers, pool_of
from .provenance import assumptions_behind, echoes_behind
from .results import SERIES_QUANTILES, Result, TargetSummary
from .scenario import Scenario, load_scenario
from .spawned import state_for
from .summaries import PairedCounts, Summary
from .targets import Method

#: Named groups of the joint summary besides the registry's own groups.
ALL_MODELLED, ALL_EVALUATED = "all_modelled", "all"


@dataclass(frozen=True)
class Variant:
    """One variant of a run: its inputs, and optionally levers and fixed primitives per path.

    Attributes
    ----------
    inputs : Inputs
    levers : ResolvedLevers, optional
        Default ``inputs.levers``. Per-path arrays have one column per path of the run.
    fixed : dict name -> float or array (paths,), optional
        Primitive parameters fixed to given values instead of drawn (a sensitivity design).
    name : str, optional
        Default ``inputs.name``.
    observed : tuple of simulator.nowcast.Observation
        Published values the variant's paths are conditioned on (``simulate update``).
    counts_only : bool
        Count hits only, no quantiles (runs that need P(hit) alone, such as the lever grid of
        ``solve --all``); a run of such variants returns their paired counts and no results.
    """

    inputs: Inputs
    levers: ResolvedLevers | None = None
    fixed: dict | None = None
    name: str | None = None
    observed: tuple = ()
    counts_only: bool = False

    @property
    def label(self) -> str:
        return self.name or self.inputs.name

    @property
    def resolved_levers(self) -> ResolvedLevers:
        return self.levers if self.levers is not None else self.inputs.levers


@dataclass(frozen=True)
class VariantRun:
    """Results of several variants on the same draws.

    Attributes
    ----------
    results : tuple of Result
        One per variant, in the order given (none when the variants count hits only).
    paired : PairedCounts
        Paths hit by both variants of every pair, per target (common ids of all variants).
    paths : int
    """

    results: tuple[Result, ...]
    paired: PairedCounts
    paths: int


def _groups(targets) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for t in targets:
        groups.setdefault(t.group, []).append(t.id)
    groups[ALL_MODELLED] = [t.id for t in targets if t.method is not Method.PRIOR]
    groups[ALL_EVALUATED] = [t.id for t in targets]
    return {g: tuple(m) for g, m in groups.items() if m}


def _fixed_for(fixed: dict | None, start: int, stop: int) -> dict | None:
    if not fixed:
        return None
    return {k: (v[start:stop] if np.ndim(v) else v) for k, v in fixed.items()}


def _typical(fixed: dict | None) -> dict | None:
    return {k: (float(np.mean(v)) if np.ndim(v) else v) for k, v in fixed.items()} if fixed else None


def _check_per_path(variant: Variant, paths: int) -> None:
    for name, value in (variant.fixed or {}).items():
        array = np.asarray(value, dtype=float)
        if array.ndim > 1 or (array.ndim == 1 and array.shape[0] != paths):
            raise InputError(f"expected a number or an array of shape ({paths},), got shape {array.shape}",
                             file="argument parameters", key=name)
        if not np.isfinite(array).all():
            raise InputError("every value must be a finite number", file="argument parameters", key=name)
    for name, value in variant.resolved_levers.values.items():
        if value.shape[1] not in (1, paths):
            raise InputError(f"per-path lever has {value.shape[1]} columns for {paths} paths",
                             file="argument levers", key=name)


class _Setup:
    """What the loop holds per variant: its plan and the references of its summaries."""

    def __init__(self, variant: Variant):
        inputs = variant.inputs
        self.variant = variant
        self.targets = evaluated_targets(inputs)
        self.plan: Plan = make_plan(self.targets, years=inputs.years, target_year=inputs.registry.target_year,
                                    options=inputs.target_options, prior_ids=inputs.priors.ids)
        reference = simulate(inputs, neutral(inputs.contract), variant.resolved_levers.typical(),
                             fixed=_typical(variant.fixed))
        values = evaluate(self.plan, reference.series, reference.prior_hits).values[0]
        self.simulated = inputs.simulated
        self.scales = {m: SERIES[m].scale for m in self.simulated}
        self.reference_values = values
        self.reference_series = {m: reference.series[m][0] for m in self.simulated}
        self.groups = _groups(self.targets)
        self.worst_miss = 0.0  # largest relative gap to a published value left by the conditioning
        self.values_key = None if variant.fixed or variant.observed else _values_key(inputs)

    def empty(self) -> Summary:
        return Summary.empty(self.plan, reference_values=self.reference_values, reference_series=self.reference_series,
                             series_scales=self.scales, groups=self.groups, histograms=not self.variant.counts_only)


def _values_key(inputs: Inputs) -> tuple:
    """Everything :func:`simulator.engine.path_values` reads besides the draws: variants with equal
    keys have the same values on the same paths (most variants change levers only)."""
    def numbers(entries: dict) -> tuple:
        return tuple((name, v.value, v.se, v.lower, v.upper) for name, v in sorted(entries.items()))
    satellites = inputs.satellites
    priors = inputs.priors
    return (numbers(inputs.calibration.parameters), numbers(inputs.calibration.base),
            None if satellites is None else (numbers(satellites.parameters), numbers(satellites.base)),
            inputs.volatility_scale, priors.ids, priors.probability.tobytes(), priors.alpha.tobytes(),
            priors.beta.tobytes(), priors.correlation)


def _run_chunk(setups: list[_Setup], chunk, keep_paths: bool, into: tuple | None = None):
    """Draw one chunk once and run every variant on it, counting it into ``into`` (one summary per
    variant, paired counts) or into fresh ones: (summaries, paired counts, kept paths, misses).

    Counting into running totals spares each chunk a set of empty histograms (tens of MB to
    allocate, zero and merge); the counts are integers, so the result is the same either way."""
    contract = setups[0].variant.inputs.contract
    draws = draw(contract, chunk)
    start, stop = draws.first_path, draws.first_path + draws.n_paths
    summaries, paired = _empty_counts(setups) if into is None else into
    hits, kept, misses = [], [], []
    shared: dict[tuple, PathValues] = {}  # one computation of the paths' values per calibration
    for setup, summary in zip(setups, summaries):
        v = setup.variant
        levers = v.resolved_levers.for_paths(start, stop)
        drawn, miss = draws, 0.0
        if v.observed:
            if v.fixed:
                raise InputError("a variant conditioned on published values takes no fixed parameters",
                                 file="argument parameters")
            drawn, miss = condition(v.inputs, draws, levers, v.observed)
        misses.append(miss)
        values = None
        if setup.values_key is not None:
            values = shared.get(setup.values_key)
            if values is None:
                values = shared[setup.values_key] = path_values(v.inputs, drawn)
        outcomes = simulate(v.inputs, drawn, levers, fixed=_fixed_for(v.fixed, start, stop), values=values)
        if v.observed:
            show_published(outcomes.series, v.observed, base_year=int(v.inputs.years[0]))
        evaluation = evaluate(setup.plan, outcomes.series, outcomes.prior_hits)
        summary.add(evaluation, outcomes.series)
        hits.append(evaluation.hits)
        kept.append((({m: outcomes.series[m] for m in setup.simulated}, evaluation.hits, outcomes.parameters)
                     if keep_paths else None))
        del outcomes
    paired.add(hits)
    return summaries, paired, kept, misses


def _setups(variants) -> list[_Setup]:
    """The worker's state of a run of variants."""
    return [_Setup(v) for v in variants]


def for_workers(inputs: Inputs) -> Inputs:
    """The inputs as a worker process needs them: without the outside view's reference, which
    only the results use (in this process): with its panel rows the payload is six times larger
    (0.69 MB against 0.11 MB), and every task carries its payload."""
    return replace(inputs, outside_view=None)


def _for_workers(variants) -> list[Variant]:
    return [replace(v, inputs=for_workers(v.inputs)) for v in variants]


def _as_given(state):
    """The worker's state of a :func:`map_tasks`: its state, unpickled."""
    return state


def _empty_counts(setups: list[_Setup]) -> tuple[list[Summary], PairedCounts]:
    """One empty summary per variant and empty paired counts of the variants."""
    return [s.empty() for s in setups], PairedCounts(tuple(s.variant.label for s in setups), setups[0].plan.ids)


def _count_batch(setups: list[_Setup], batch: list, into: tuple) -> list[float]:
    """Count a batch of chunks into ``into`` (summaries, paired counts); the worst miss of each
    variant's conditioning."""
    worst = [0.0] * len(setups)
    for chunk in batch:
        _, _, _, misses = _run_chunk(setups, chunk, False, into=into)
        worst = [max(a, b) for a, b in zip(worst, misses)]
    return worst


def _run_batch(setups: list[_Setup], batch: list) -> tuple:
    """A batch of chunks, merged into one summary per variant (as :func:`_run_chunk` returns)."""
    totals, paired = _empty_counts(setups)
    worst = _count_batch(setups, batch, (totals, paired))
    return totals, paired, [None] * len(setups), worst


def _worker(task: tuple):
    """One task of a worker process: function(state, item), its state built once per process
    (:func:`simulator.spawned.state_for`)."""
    digest, payload, function, item = task
    return function(state_for(digest, payload), item)


#: Tasks per worker process: enough for a live progress line, few enough that sending the
#: summaries back costs little.
_TASKS_PER_WORKER = 8


def _batches(work: list, workers: int, variants: int = 1) -> list[list]:
    """The chunks in batches (one task each): about :data:`_TASKS_PER_WORKER` per worker for one
    variant, fewer for several (a task's summaries cost about 45 ms a variant to send and merge,
    so seven variants on 16 tasks lost a fifth of a run), at least 2."""
    per_worker = max(2, _TASKS_PER_WORKER // max(1, variants))
    size = max(1, -(-len(work) // (workers * per_worker)))
    return [work[i:i + size] for i in range(0, len(work), size)]


#: Fewest blocks in a batch cut at the end of a run (a block takes about 110 ms a variant).
_FEWEST_BLOCKS = 2


def _halved(batch: list) -> list[list]:
    """A batch as two batches: its chunks in two halves where it has several; a lone chunk's
    blocks in two halves when each keeps at least :data:`_FEWEST_BLOCKS`, else the batch as it is."""
    if len(batch) >= 2:
        return [batch[:len(batch) // 2], batch[len(batch) // 2:]]
    chunk = batch[0]
    if len(chunk) < 2 * _FEWEST_BLOCKS:
        return [batch]
    return [[chunk[:len(chunk) // 2]], [chunk[len(chunk) // 2:]]]


def _tapered(batches: list[list], workers: int) -> list[list]:
    """The same blocks with each of the last ``2 × workers`` batches cut in two: a process that
    finishes first then waits for a smaller batch. Results do not depend on the cut."""
    tail = 2 * workers
    head, last = (batches[:-tail], batches[-tail:]) if len(batches) > tail else ([], batches)
    return head + [half for batch in last for half in _halved(batch)]


def _on_processes(function, state, payload: bytes, items: list, workers: int, *, here: Callable | None = None):
    """Yield (index, function(state, item)) for every item as it finishes, on ``workers`` local
    processes: this one, with ``state``, and ``workers − 1`` worker processes
    (:func:`simulator.pool.pool_of`), which build their state from ``payload`` (a pickled
    (build, argument): build(argument)). ``here(item)``, when given, replaces
    ``function(state, item)`` for the items this process runs (e.g. counting into running totals).

    This process runs items itself while the workers start (about a second each to import
    numpy and scipy, unless the command started them early) and whenever none of theirs is
    ready, so start-up costs no idle core. If the caller stops (an error, Ctrl-C, SIGTERM) the
    workers are terminated at once rather than left to finish their items."""
    queue = deque(enumerate(items))
    digest = hashlib.sha256(payload).hexdigest()
    pending: dict = {}
    with pool_of(workers - 1) as pool:

        def refill() -> None:
            # two items in flight per worker, so none waits for the next; near the end the last
            # ones stay here, so this process does not wait for a queue it could have run
            while queue and len(pending) < 2 * (workers - 1) and (len(queue) > len(pending) or not pending):
                index, item = queue.popleft()
                pending[pool.submit(_worker, (digest, payload, function, item))] = index

        refill()
        while pending or queue:
            done = {f for f in pending if f.done()}
            if not done and queue:
                index, item = queue.popleft()
                yield index, (function(state, item) if here is None else here(item))
                continue
            if not done:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()
            refill()


def _payload(build, argument) -> bytes:
    return pickle.dumps((build, argument), protocol=pickle.HIGHEST_PROTOCOL)


def _in_worker_processes(setups: list[_Setup], work: list, workers: int, into: tuple):
    """Run the chunks on ``workers`` local processes in batches (:func:`_on_processes`), yielding
    each batch's merged summaries as it finishes (merging is exact and order-free, so the numbers
    do not depend on which process ran what). The batches this process runs are counted straight
    into ``into`` (the run's summaries and paired counts) and yield ``None`` as their summaries:
    no empty set of histograms to allocate and merge (about 15 ms a batch and variant)."""
    batches = _tapered(_batches(work, workers, len(setups)), workers)
    payload = _payload(_setups, _for_workers(s.variant for s in setups))

    def here(batch: list) -> tuple:
        worst = _count_batch(setups, batch, into)
        return None, None, [None] * len(setups), worst, sum(n for chunk in batch for _, n in chunk)

    for _, part in _on_processes(_run_batch, setups, payload, batches, workers, here=here):
        yield part


def map_tasks(function: Callable, state, items: Sequence, *, build: Callable | None = None, workers: int = 1,
              dask: str | None = None, on_done: Callable[[int], None] | None = None) -> list:
    """``[function(build(state), item) for item in items]``, in the items' order, on ``workers``
    local processes or on a dask scheduler (``dask``, see :func:`run_variants`).

    ``function`` and ``build`` (default: the state as given) must be module-level functions (they
    are sent by name) and ``state`` picklable: it is sent once to each process, which builds its
    own state from it once (e.g. the draws of a few chunks). For work whose items are independent
    (a root finder's chunks, the rows of a Sobol design), so the results are the same whichever
    process ran which item. ``on_done(index)`` is called as each item finishes."""
    items = list(items)
    build = build or _as_given
    out: list = [None] * len(items)
    if dask is not None:
        from .dask_backend import completed_on_dask

        finished = completed_on_dask(function, _payload(build, state), items, dask)
    elif workers <= 1 or len(items) <= 1:
        built = build(state)
        finished = ((index, function(built, item)) for index, item in enumerate(items))
    else:
        finished = _on_processes(function, build(state), _payload(build, state), items, workers)
    with threadpool_limits(limits=1, user_api="blas"):
        for index, value in finished:
            out[index] = value
            if on_done is not None:
                on_done(index)
    return out



def map_in_parts(function: Callable, state, items: Sequence, *, workers: int = 1, dask: str | None = None,
                 on_done: Callable[[int], None] | None = None) -> list:
    """Per-item results of ``function(state, part)``, which returns one result per item of its
    part, with the items dealt into a few interleaved parts (2 per local process, 8 on dask; so
    slow and fast items mix) and run by :func:`map_tasks`. The results come back in the items'
    order, the same whichever process ran which part. ``on_done(n)`` gets the items finished so far."""
    items = list(items)
    parts = max(1, min(len(items), 2 * workers if dask is None else 8))
    cut = [items[i::parts] for i in range(parts)]
    finished = [0]

    def tick(index: int) -> None:
        finished[0] += len(cut[index])
        if on_done is not None:
            on_done(finished[0])

    out: list = [None] * len(items)
    for i, results in enumerate(map_tasks(function, state, cut, workers=workers, dask=dask, on_done=tick)):
        out[i::parts] = list(results)
    return out

def run_variants(variants: Sequence[Variant], *, paths: int | None = None, chunk_size: int | None = None,
                 keep_paths: bool = False, workers: int = 1, dask: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> VariantRun:
    """Run several variants on the same draws: one draw per chunk, every variant on it.

    Parameters
    ----------
    variants : sequence of Variant
        Their random-number contracts must be equal (same seed, block size, drawn primitives,
        shock correlation and tail, priors); levers, parameter values and base values may differ.
    paths, chunk_size : int, optional
        Default: the first variant's ``[montecarlo]`` values.
    keep_paths : bool
        Keep every simulated path of every variant (memory grows with the path count).
    workers : int
        Local processes that run chunks side by side, this one included (batches of chunks,
        merged as they finish); the numbers do not depend on it. With ``keep_paths`` the run is
        serial.
    dask : str, optional
        Run the chunks on a ``dask.distributed`` scheduler at this address (``tcp://host:8786``),
        or on a LocalCluster of this machine's cores (``"local"``) instead (``workers`` is then
        ignored); the numbers are the same as a local run's (:mod:`simulator.dask_backend`).
    progress : callable (done_paths, total_paths), optional
        Called once after every finished batch of chunks (e.g. :class:`simulator.terminal.ProgressLine`).

    Raises
    ------
    InputError
        If the variants cannot share draws (the fields in which their contracts differ are named),
        or if their registries evaluate different targets.
    """
    if not variants:
        raise ValueError("no variants to run")
    first = variants[0].inputs
    for v in variants[1:]:
        differ = first.contract.differences(v.inputs.contract)
        if differ:
            raise InputError(f"variants '{variants[0].label}' and '{v.label}' cannot share draws: their random-number "
                             f"contracts differ in {', '.join(differ)} (same calibration file, seed, block size, "
                             "parameter uncertainty and priors needed)", file=v.inputs.source_file)
    paths = paths or first.paths
    chunk_size = chunk_size or first.chunk_size
    setups = [_Setup(v) for v in variants]
    for v in variants:
        _check_per_path(v, paths)
    if len({s.plan.ids for s in setups}) > 1:
        raise InputError("variants evaluate different targets (their registries differ)", file=variants[1].inputs.registry.path)
    counts_only = variants[0].counts_only
    if any(v.counts_only != counts_only for v in variants):
        raise ValueError("either every variant of a run counts hits only or none does")
    names = tuple(v.label for v in variants)
    if len(set(names)) != len(names):
        raise InputError(f"variant names must differ, got {', '.join(names)}", file=variants[-1].inputs.source_file,
                         key="scenario.name")
    totals, paired = _empty_counts(setups)
    kept: list[list] = [[] for _ in setups]
    work = chunks(paths, first.contract.block_size, chunk_size)

    done = 0

    def note(chunk_kept, misses, n_paths: int) -> None:
        nonlocal done
        for setup, miss in zip(setups, misses):
            setup.worst_miss = max(setup.worst_miss, miss)
        for store, item in zip(kept, chunk_kept):
            if item is not None:
                store.append(item)
        if progress is not None:
            done += n_paths
            progress(done, paths)

    def absorb(part) -> None:
        """A batch's merged summaries from another process (or, summaries None, the count of
        paths of a batch this process counted into the totals itself)."""
        summaries, pairs, chunk_kept, misses, *counted = part
        if summaries is None:
            note(chunk_kept, misses, counted[0])
            return
        for total, summary in zip(totals, summaries):
            total.merge(summary)
        paired.merge(pairs)
        note(chunk_kept, misses, summaries[0].paths)

    with threadpool_limits(limits=1, user_api="blas"):  # the products are small: extra threads only spin
        if dask is not None and not keep_paths:
            from .dask_backend import on_dask

            for part in on_dask(variants, work, dask):
                absorb(part)
        elif workers > 1 and len(work) > 1 and not keep_paths:
            for part in _in_worker_processes(setups, work, workers, (totals, paired)):
                absorb(part)
        else:
            for chunk in work:
                _, _, chunk_kept, misses = _run_chunk(setups, chunk, keep_paths, into=(totals, paired))
                note(chunk_kept, misses, sum(n for _, n in chunk))
    results = () if counts_only else tuple(_result(setup, total, kept_v if keep_paths else None)
                                           for setup, total, kept_v in zip(setups, totals, kept))
    return VariantRun(results=results, paired=paired, paths=totals[0].paths)


def _file_hash(*paths: str) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def _result(setup: _Setup, summary: Summary, kept) -> Result:
    variant, inputs = setup.variant, setup.variant.inputs
    rows = []
    evaluated = {t.id for t in setup.targets}
    options = inputs.target_options
    for t in inputs.registry.targets:
        if t.id not in evaluated:
            rows.append(TargetSummary.not_evaluated(t, inputs.registry))
            continue
        hits = int(summary.hits[setup.plan.ids.index(t.id)])
        if t.method is Method.PRIOR:
            prior = inputs.priors
            j = prior.ids.index(t.id)
            rows.append(TargetSummary.from_prior(t, inputs.registry, hits, summary.paths, float(prior.mean[j]),
                                                 prior.reasons[j], [f"priors.{t.id}"] if prior.assumed[j] else []))
            continue
        histogram = summary.target_histograms[t.id]
        q = histogram.quantiles((0.10, 0.50, 0.90))[0]
        rows.append(TargetSummary.evaluated(t, inputs.registry, SERIES[t.metric].unit, hits, summary.paths, q,
                                            int(histogram.undefined()[0]), assumptions_behind(t.metric, inputs),
                                            options.tolerance(t.id), echoes_behind(t.metric, inputs)))
    series_q = {m: h.quantiles(SERIES_QUANTILES) for m, h in summary.series_histograms.items()}
    provenance = {
        "version": __version__,
        "scenario_file": inputs.source_file,
        "scenario_hash": inputs.scenario_hash,
        "calibration_file": inputs.calibration.path,
        "satellite_calibration_file": inputs.satellites.path if inputs.satellites is not None else None,
        "data_hash": _file_hash(*inputs.data_files),
        "block_size": inputs.contract.block_size,
        "parameter_uncertainty": bool(inputs.contract.parameters),
        "volatility_scale": inputs.volatility_scale,
        "approx_tolerance": options.approx_tolerance,
        "approx_tolerance_by_target": dict(options.approx_tolerance_by_target),
        "prior_correlation": options.prior_correlation,
        "uncertain_parameters": list(inputs.contract.parameters) + ["sat." + n for n in inputs.contract.satellite_parameters],
        "fixed_parameters": sorted(variant.fixed) if variant.fixed else [],
        "observed": [o.to_dict() for o in variant.observed],
    }
    if variant.observed:
        provenance["observed_largest_relative_miss"] = setup.worst_miss
    full_paths = full_hits = full_parameters = None
    if kept is not None:
        full_paths = {m: np.concatenate([k[0][m] for k in kept]) for m in setup.simulated}
        full_hits = np.concatenate([k[1] for k in kept])
        full_parameters = {name: np.concatenate([np.broadcast_to(k[2][name], (k[1].shape[0],)) for k in kept])
                           for name in kept[0][2]}
    outside = None
    if inputs.outside_view is not None:
        from .outside_view import outside_view_for

        outside = outside_view_for(rows, inputs.outside_view, registry=inputs.registry)
    return Result(name=variant.label, title=inputs.title, region=inputs.calibration.region,
                  region_vi=inputs.calibration.region_vi, registry_title=inputs.registry.title_en,
                  seed=inputs.contract.seed, paths=summary.paths, years=inputs.years,
                  target_year=inputs.registry.target_year, targets=tuple(rows), series_quantiles=series_q,
                  levers=variant.resolved_levers.to_dict(), provenance=provenance, joint=summary.joint.summary(),
                  groups=dict(inputs.registry.groups), full_paths=full_paths, full_hits=full_hits,
                  full_parameters=full_parameters, outside_view=outside)


def run(scenario: str | Path | Scenario, *, overrides: list[str] | tuple[str, ...] = (), keep_paths: bool = False,
        levers: dict | None = None, parameters: dict | None = None, workers: int | None = 1,
        dask: str | None = None, progress: Callable[[int, int], None] | None = None, **settings) -> Result:
    """Run a scenario and return its result.

    Parameters
    ----------
    scenario : path or Scenario
        A scenario TOML file, or an already loaded :class:`~simulator.scenario.Scenario`.
    overrides : list of str
        ``"key.path=value"`` strings (as ``--set``), applied on top of the file.
    keep_paths : bool
        Also keep every simulated path (memory grows with the path count).
    levers : dict, optional
        Lever values replacing the scenario's: a number, one per simulated year, or a per-path
        array shaped (paths,) or (years, paths).
    parameters : dict, optional
        Primitive parameters fixed to a number or a per-path array (paths,) instead of drawn.
    workers : int or None
        Local processes running chunks side by side; never changes a number. None: every core
        from 400,000 paths (:func:`default_workers`).
    dask : str, optional
        A ``dask.distributed`` scheduler's address, or ``"local"`` (see :func:`run_variants`).
    progress : callable (done_paths, total_paths), optional
        Called once after every finished chunk.
    **settings
        Monte Carlo options (``paths``, ``seed``, ``chunk_size``, ``block_size``,
        ``parameter_uncertainty``, ``volatility_scale``) and lever values as keywords, e.g.
        ``run("scenarios/base.toml", investment_share=0.4)``.

    Examples
    --------
    >>> import simulator
    >>> result = simulator.run("scenarios/base.toml", paths=2000)  # doctest: +SKIP
    >>> result.targets_frame()[["id", "p_hit"]]  # doctest: +SKIP
    """
    if isinstance(scenario, Scenario):
        if overrides or settings:
            raise TypeError("overrides apply to a scenario file; pass a path, or build the Scenario with them")
        loaded = scenario
    else:
        loaded = load_scenario(scenario, overrides=overrides, **settings)
    inputs = resolve(loaded, levers=levers)
    workers = default_workers(inputs.paths) if workers is None else workers
    return run_variants([Variant(inputs, fixed=parameters)], keep_paths=keep_paths, workers=workers, dask=dask,
                        progress=progress).results[0]
