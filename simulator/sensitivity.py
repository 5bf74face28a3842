"""Sensitivity of the targets to the uncertain inputs: Sobol indices, the variance split, a tornado.

The uncertain inputs (*factors*) are every primitive the random-number contract draws per path
(core and satellite), each with the distribution the engine draws it from — its estimate and
standard error truncated to its bounds, a frozen :func:`scipy.stats.truncnorm` — and every lever
range the caller declares, uniform over the range. The year-to-year shocks (and disasters,
counts, priors) are not factors: they are the noise the indices must not be swamped by.

Three loops around the pipeline (draw → simulate → evaluate), each a pure function:

- :func:`sobol`: first-order and total Sobol indices (Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018)
  of each target's expected deciding value E[v | x] and of its probability P(hit | x), from
  :func:`scipy.stats.sobol_indices`. Each sample row x is run on the same ``inner`` shock paths
  (common random numbers: the first ``inner`` paths of the run's seed, for every row), and its
  output is the mean over them. The rows of A, kept whole (rows × inner paths), also give the
  **variance split** of the hit indicator by the law of total variance,
  Var(hit) = Var(E[hit | x]) + E[Var(hit | x)]: the share of the factors is Var(E[hit | x]) / Var(hit),
  estimated by the two-way crossed random-effects ANOVA of the rows × inner-paths table and
  bracketed by the pigeonhole bootstrap (Owen 2007, doi:10.1214/07-AOAS122).
- :func:`tornado`: P(hit) and the median of the deciding value with one factor held at its 10th
  and at its 90th percentile on every path, everything else drawn as in the run (the factors at
  their run distribution, the levers at the scenario's values), all on the run's draws for the
  seed; the swing's standard error is the paired one (:func:`simulator.compare.paired_difference`).
- :func:`analyse` runs both and the scenario discovery of :mod:`simulator.discovery`.

The estimator path (design, scipy's estimator, the seeded bootstrap, the variance split) is
:mod:`simulator.sobol`; this module puts the model behind it.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import ndtr, ndtri

from . import __version__
from .compare import paired_difference
from .discovery import Box, boxes_frame, discover_box, driver_units, drivers, relevant
from .draws import Draws, chunks, draw
from .engine import Outcomes, simulate
from .errors import InputError
from .evaluate import Evaluation, Plan, evaluate, make_plan
from .inputs import Inputs, evaluated_targets
from .levers import LEVERS, ResolvedLevers
from .metrics import SERIES
from .provenance import assumptions_behind
from .runner import for_workers, map_in_parts, map_tasks
from .sobol import (BOOTSTRAP, PIGEONHOLE, SCRAMBLE, Progress, SobolEstimate, VarianceSplit, resampled_shares,
                    seeded_generator, sobol_design, sobol_estimate, variance_splits)
from .targets import Method, Target, value_unit
from .units import conversion_factor

class FactorKind(str, Enum):
    PARAMETER = "parameter"
    SATELLITE = "satellite parameter"
    LEVER = "lever"


@dataclass(frozen=True)
class Factor:
    """One uncertain input: a drawn primitive or a declared lever range.

    Attributes
    ----------
    name : str
        ``block.name`` for a core primitive, ``sat.block.name`` for a satellite one,
        ``lever.name`` for a lever.
    kind : FactorKind
    unit : str
        The calibration's (or the lever's) unit; shares as fractions.
    estimate, scale : float
        Estimate and standard error of a primitive; the range's low end and width of a lever.
    lower, upper : float
        Bounds of the distribution (the parameter's admissible range; the lever's range).
    assumption : bool
        The calibration flags the value as an assumption (no source pins it down).
    source : str
    """

    name: str
    kind: FactorKind
    unit: str
    estimate: float
    scale: float
    lower: float
    upper: float
    assumption: bool = False
    source: str = ""

    @property
    def distribution(self):
        """The frozen scipy distribution the factor is drawn from (built on demand)."""
        if self.kind is FactorKind.LEVER:
            return stats.uniform(loc=self.estimate, scale=self.scale)
        a, b = (self.lower - self.estimate) / self.scale, (self.upper - self.estimate) / self.scale
        return stats.truncnorm(a, b, loc=self.estimate, scale=self.scale)

    def percentile(self, q: float) -> float:
        return float(self.distribution.ppf(q))

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind.value, "unit": self.unit, "estimate": self.estimate,
                "scale": self.scale, "lower": self.lower, "upper": self.upper, "assumption": self.assumption,
                "p10": self.percentile(0.1), "p90": self.percentile(0.9), "source": self.source}


@dataclass(frozen=True)
class LeverRange:
    """A lever treated as uncertain: uniform over [low, high], the same value in every year."""

    name: str
    low: float
    high: float


def parse_lever_range(text: str) -> LeverRange:
    """``NAME=LOW:HIGH`` (the ``--lever`` option) as a checked :class:`LeverRange`."""
    name, _, span = text.partition("=")
    low, _, high = span.partition(":")
    if name not in LEVERS:
        raise InputError(f"unknown lever '{name}' in {text!r}; levers: {', '.join(LEVERS)}", file="command line",
                         key="--lever")
    try:
        lo, hi = float(low), float(high)
    except ValueError:
        raise InputError(f"expected NAME=LOW:HIGH, e.g. investment_share=0.30:0.45, got {text!r}",
                         file="command line", key="--lever") from None
    spec = LEVERS[name]
    if not (spec.lower <= lo < hi <= spec.upper):
        raise InputError(f"range of {name} must satisfy {spec.lower:g} <= low < high <= {spec.upper:g} ({spec.unit}), "
                         f"got {lo:g}:{hi:g}", file="command line", key="--lever")
    return LeverRange(name, lo, hi)


def factors(inputs: Inputs, *, levers: tuple[LeverRange, ...] = ()) -> tuple[Factor, ...]:
    """The uncertain inputs of a run: the contract's drawn primitives (core, then satellite, in the
    contract's order) and the given lever ranges."""
    out = []
    for name in inputs.contract.parameters:
        v = inputs.calibration.parameters[name]
        out.append(Factor(name, FactorKind.PARAMETER, v.unit, v.value, v.se, v.lower, v.upper, v.assumption, v.source))
    for name in inputs.contract.satellite_parameters:
        v = inputs.satellites.entry(name)
        out.append(Factor(f"sat.{name}", FactorKind.SATELLITE, v.unit, v.value, v.se, v.lower, v.upper, v.assumption,
                          v.source))
    seen = set()
    for lever in levers:
        if lever.name in seen:
            raise InputError(f"lever {lever.name} given twice", file="command line", key="--lever")
        seen.add(lever.name)
        out.append(Factor(f"lever.{lever.name}", FactorKind.LEVER, LEVERS[lever.name].unit, lever.low,
                          lever.high - lever.low, lever.low, lever.high, False, "--lever"))
    return tuple(out)


def normal_score(x, *, mean: float, se: float, lower: float, upper: float) -> np.ndarray:
    """The standard normal z that :func:`simulator.draws.truncated_normal` maps to x (its inverse)."""
    x = np.asarray(x, dtype=float)
    a, b = (lower - mean) / se, (upper - mean) / se
    if a < -8.0 and b > 8.0:
        return (x - mean) / se
    low, high = ndtr(a), ndtr(b)
    return ndtri(np.clip((ndtr((x - mean) / se) - low) / (high - low), 1e-16, 1 - 1e-16))


# ---------------------------------------------------------------- the model with factors set per path


@dataclass(frozen=True)
class Model:
    """What the loops need to run the model with factors set per path.

    Attributes
    ----------
    inputs : Inputs
    plan : Plan
        Every evaluated target (the hits of all of them come from one evaluation).
    factors : tuple of Factor
    targets : tuple of Target
        The analysed targets (simulated rows only).
    columns : int array (T,)
        Their columns in the plan.
    to_report_unit : float array (T,)
        Multiplies an engine value into the registry's unit.
    """

    inputs: Inputs
    plan: Plan
    factors: tuple[Factor, ...]
    targets: tuple[Target, ...]
    columns: np.ndarray
    to_report_unit: np.ndarray

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.targets)


def model(inputs: Inputs, *, factors: tuple[Factor, ...], targets: tuple[str, ...] = ()) -> Model:
    """The model of ``inputs`` for the given targets (default: every simulated target)."""
    evaluated = evaluated_targets(inputs)
    plan = make_plan(evaluated, years=inputs.years, target_year=inputs.registry.target_year,
                     options=inputs.target_options, prior_ids=inputs.priors.ids)
    by_id = {t.id: t for t in evaluated}
    simulated = [t.id for t in evaluated if t.method is not Method.PRIOR]
    for target_id in targets:
        if target_id not in by_id:
            raise InputError(f"unknown or not evaluated target '{target_id}'; simulated targets: {', '.join(simulated)}",
                             file="command line", key="--targets")
        if by_id[target_id].method is Method.PRIOR:
            raise InputError(f"target {target_id} is judged by a prior probability, which no parameter or lever moves",
                             file="command line", key="--targets")
    chosen = [by_id[i] for i in (targets or simulated)]
    columns = np.array([plan.ids.index(t.id) for t in chosen], dtype=int)
    scale = np.array([conversion_factor(value_unit(t, SERIES[t.metric].unit), t.unit) for t in chosen])
    return Model(inputs, plan, factors, tuple(chosen), columns, scale)


def restrict(m: Model, target_ids) -> Model:
    """The same model for a subset of its targets."""
    keep = [m.ids.index(i) for i in target_ids]
    return replace(m, targets=tuple(m.targets[k] for k in keep), columns=m.columns[keep],
                   to_report_unit=m.to_report_unit[keep])


def run_paths(m: Model, draws: Draws, assigned: dict[str, np.ndarray | float]) -> tuple[Outcomes, Evaluation]:
    """Simulate and evaluate the draws' paths with some factors set (a number, or one per path).

    Core primitives go in as the engine's ``fixed`` parameters; a satellite primitive replaces its
    row of raw normals by the normal score of its value (the engine maps it back exactly); a lever
    becomes a per-path lever, the same value in every year. Unassigned factors are drawn as in the
    run; unassigned levers keep the scenario's values.
    """
    inputs, n = m.inputs, draws.n_paths
    kinds = {f.name: f for f in m.factors}
    fixed, satellite_rows, levers = {}, None, dict(inputs.levers.values)
    for name, value in assigned.items():
        factor = kinds[name]
        if factor.kind is FactorKind.PARAMETER:
            fixed[name] = value
        elif factor.kind is FactorKind.SATELLITE:
            if satellite_rows is None:
                satellite_rows = draws.satellite_parameters.copy()
            row = inputs.contract.satellite_parameters.index(name[4:])
            satellite_rows[row] = normal_score(np.broadcast_to(value, (n,)), mean=factor.estimate, se=factor.scale,
                                               lower=factor.lower, upper=factor.upper)
        else:
            levers[name[6:]] = np.broadcast_to(np.broadcast_to(np.asarray(value, dtype=float), (n,))[None, :],
                                               (inputs.horizon, n))
    if satellite_rows is not None:
        draws = replace(draws, satellite_parameters=satellite_rows)
    resolved = ResolvedLevers(levers, inputs.levers.origin)
    outcomes = simulate(inputs, draws, resolved, fixed=fixed or None)
    return outcomes, evaluate(m.plan, outcomes.series, outcomes.prior_hits)


def _target_values(m: Model, evaluation: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """(values in the registry's unit (paths, T), hits (paths, T)) of the analysed targets."""
    return evaluation.values[:, m.columns] * m.to_report_unit, evaluation.hits[:, m.columns]


# ---------------------------------------------------------------- Sobol on the model


@dataclass(frozen=True)
class SobolResult:
    """Sobol indices of every analysed target's E[value | factors] and P(hit | factors).

    Attributes
    ----------
    ids : tuple of str
        The targets; output k is (ids[k // 2], ("value", "hit")[k % 2]).
    factors : tuple of Factor
    estimate : SobolEstimate
        Over the 2T outputs.
    splits : tuple of (VarianceSplit of the value, VarianceSplit of the hit), per target
    samples, inner, evaluations : int
        Base samples, inner shock paths per row, model paths run.
    """

    ids: tuple[str, ...]
    factors: tuple[Factor, ...]
    estimate: SobolEstimate = field(repr=False)
    splits: tuple[tuple[VarianceSplit, VarianceSplit], ...]
    samples: int
    inner: int
    evaluations: int

    def frame(self) -> pd.DataFrame:
        """One row per target, quantity and factor: S1 and ST with their intervals."""
        e, rows = self.estimate, []
        for k in range(2 * len(self.ids)):
            for i, f in enumerate(self.factors):
                rows.append({"id": self.ids[k // 2], "quantity": ("value", "hit")[k % 2], "factor": f.name,
                             "kind": f.kind.value, "assumption": f.assumption, "S1": e.first[k, i],
                             "S1_low": e.first_low[k, i], "S1_high": e.first_high[k, i], "ST": e.total[k, i],
                             "ST_low": e.total_low[k, i], "ST_high": e.total_high[k, i]})
        return pd.DataFrame(rows)

    def splits_frame(self) -> pd.DataFrame:
        """Per target: the factors' share of the variance of the value and of the hit indicator."""
        rows = []
        for target_id, (value, hit), k in zip(self.ids, self.splits, range(len(self.ids))):
            rows.append({"id": target_id, "p_hit_design": self.estimate.mean[2 * k + 1],
                         "value_share_factors": value.share, "value_share_low": value.low,
                         "value_share_high": value.high, "hit_share_factors": hit.share, "hit_share_low": hit.low,
                         "hit_share_high": hit.high, "hit_variance": hit.total})
        return pd.DataFrame(rows)

    def top(self, target_id: str, quantity: str = "hit", k: int = 5) -> list[tuple[Factor, int]]:
        """The k factors with the largest total index for one output (with their column)."""
        row = 2 * self.ids.index(target_id) + (quantity == "hit")
        if not self.estimate.defined[row]:
            return []
        order = np.argsort(-np.nan_to_num(self.estimate.total[row], nan=-1.0), kind="stable")[:k]
        return [(self.factors[i], int(i)) for i in order]


def _sobol_rows(state: tuple, rows: tuple[np.ndarray, bool]) -> tuple:
    """Rows x (factors, r) of a Sobol design, each on the ``inner`` common shock paths: the
    outputs (2T, r) (mean value and share hit per target) and, if ``keep``, the values and hits
    (r, inner, T) (sent back only where the variance split needs them)."""
    m, shocks, names, inner = state
    x, keep = rows
    r, t = x.shape[1], len(m.targets)
    paths = np.tile(np.arange(inner), r)
    per_path = np.repeat(x, inner, axis=1)
    _, evaluation = run_paths(m, shocks.take(paths), {name: per_path[i] for i, name in enumerate(names)})
    values, hits = _target_values(m, evaluation)
    values, hits = values.reshape(r, inner, t), hits.reshape(r, inner, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_value = values.mean(axis=1)
    outputs = np.stack([mean_value.T, hits.mean(axis=1).T], axis=1).reshape(2 * t, r)
    return (outputs, values, hits) if keep else (outputs, None, None)


def sobol(m: Model, *, samples: int = 512, inner: int = 16, resamples: int = 999, confidence: float = 0.95,
          batch_paths: int = 16_384, progress: Progress | None = None, workers: int = 1,
          dask: str | None = None) -> SobolResult:
    """Sobol indices of the model's targets to its factors, each row on ``inner`` common shock paths.

    Outputs per target: the mean over the inner paths of the deciding value (registry unit) and
    the share of them that hit. The model runs on samples · (d + 2) · inner paths, in blocks of
    ``batch_paths`` on ``workers`` local processes or a dask scheduler (the same numbers).
    """
    inputs = m.inputs
    if not m.factors:
        raise InputError("nothing uncertain to analyse: no parameter is drawn per path (parameter_uncertainty is off) "
                         "and no --lever range is given", file=inputs.source_file, key="montecarlo.parameter_uncertainty")
    if not 2 <= inner <= inputs.contract.block_size:
        raise InputError(f"inner paths per row must lie in [2, {inputs.contract.block_size}], got {inner}",
                         file="command line", key="--inner")
    if resamples < least_resamples(confidence):
        raise InputError(f"expected at least {least_resamples(confidence)} bootstrap resamples for a {confidence:.0%} "
                         f"interval, got {resamples}", file="command line", key="--resamples")
    seed = inputs.contract.seed
    a, b, ab = sobol_design(dists=[f.distribution for f in m.factors], n=samples, rng=seeded_generator(seed, SCRAMBLE))
    shocks = draw(inputs.contract, [(0, inner)])
    names = [f.name for f in m.factors]
    t = len(m.targets)
    light = replace(m, inputs=for_workers(inputs))
    per_call = max(1, batch_paths // inner)
    total_rows = samples * (len(names) + 2)
    done = [0]
    d = len(names)
    # the three matrices' rows in one set of tasks, so that no worker waits between them
    matrices = {"a": (a, True), "b": (b, False), "ab": (np.moveaxis(ab, 0, 1).reshape(d, d * samples), False)}
    items = [(key, (matrix[:, start: start + per_call], keep)) for key, (matrix, keep) in matrices.items()
             for start in range(0, matrix.shape[1], per_call)]

    def tick(index: int) -> None:
        done[0] += items[index][1][0].shape[1]
        if progress is not None:
            progress("sobol", done[0], total_rows)

    parts = map_tasks(_sobol_rows, (light, shocks, names, inner), [item for _, item in items], workers=workers,
                      dask=dask, on_done=tick)
    outputs = {key: np.concatenate([p[0] for (k, _), p in zip(items, parts) if k == key], axis=1) for key in matrices}
    kept = [p for (key, _), p in zip(items, parts) if key == "a"]
    f_a, f_b = outputs["a"], outputs["b"]
    f_ab = np.moveaxis(outputs["ab"].reshape(2 * t, d, samples), 1, 0)
    estimate = sobol_estimate(f_a=f_a, f_b=f_b, f_ab=f_ab, rng=seeded_generator(seed, BOOTSTRAP), resamples=resamples,
                              confidence=confidence)
    values_a = np.concatenate([p[1] for p in kept])  # (n, inner, T)
    hits_a = np.concatenate([p[2] for p in kept]).astype(float)
    rng = seeded_generator(seed, PIGEONHOLE)

    def shares_of(table: np.ndarray, resamples: list) -> np.ndarray:
        # on the workers, in order, as one process gives them
        return np.array(map_in_parts(resampled_shares, table, resamples, workers=workers, dask=dask)).reshape(
            len(resamples), table.shape[2])

    value_splits = variance_splits(values_a, rng=rng, confidence=confidence, shares_of=shares_of)
    hit_splits = variance_splits(hits_a, rng=rng, confidence=confidence, shares_of=shares_of)
    return SobolResult(m.ids, m.factors, estimate, tuple(zip(value_splits, hit_splits)), samples, inner,
                       total_rows * inner)


# ---------------------------------------------------------------- tornado


@dataclass(frozen=True)
class TornadoBar:
    """One factor's swing for one target: P(hit) and the median at its 10th and 90th percentiles."""

    target: str
    factor: str
    assumption: bool
    value_low: float
    value_high: float
    p_low: float
    p_high: float
    swing: float
    swing_se: float
    median_low: float
    median_high: float

    @property
    def median_swing(self) -> float:
        return self.median_high - self.median_low


@dataclass(frozen=True)
class Tornado:
    """One-at-a-time swings on common random numbers, bars sorted per target by |swing of P(hit)|,
    then by |swing of the median| (so targets hit on no path are still ranked)."""

    ids: tuple[str, ...]
    paths: int
    baseline_p: tuple[float, ...]
    baseline_median: tuple[float, ...]
    bars: tuple[tuple[TornadoBar, ...], ...]

    def frame(self) -> pd.DataFrame:
        rows = []
        for target_id, p, median, bars in zip(self.ids, self.baseline_p, self.baseline_median, self.bars):
            for rank, bar in enumerate(bars, start=1):
                rows.append({"id": target_id, "rank": rank, "factor": bar.factor, "assumption": bar.assumption,
                             "factor_p10": bar.value_low, "factor_p90": bar.value_high, "p_hit_baseline": p,
                             "p_hit_at_p10": bar.p_low, "p_hit_at_p90": bar.p_high, "swing_p_hit": bar.swing,
                             "swing_se": bar.swing_se, "median_baseline": median, "median_at_p10": bar.median_low,
                             "median_at_p90": bar.median_high, "swing_median": bar.median_swing})
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Baseline:
    """The run's own paths (every factor drawn, levers as in the scenario), kept for discovery."""

    hits: np.ndarray  # (paths, T)
    values: np.ndarray  # (paths, T), registry unit
    drivers: dict[str, np.ndarray]  # name -> (paths,)

    @property
    def p_hit(self) -> np.ndarray:
        return self.hits.mean(axis=0)

    def select(self, columns) -> "Baseline":
        """The baseline of some of its targets (column indices)."""
        return Baseline(self.hits[:, columns], self.values[:, columns], self.drivers)


def _median(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=0)


def baseline(m: Model, *, paths: int, driver_fn=None) -> tuple[Baseline, list]:
    """The first ``paths`` paths of the run on its draws, and their chunks (for the tornado)."""
    inputs = m.inputs
    parts = []
    work = chunks(paths, inputs.contract.block_size, inputs.chunk_size)
    for chunk in work:
        drawn = draw(inputs.contract, chunk)
        outcomes, evaluation = run_paths(m, drawn, {})
        values, hits = _target_values(m, evaluation)
        parts.append((hits, values, driver_fn(inputs, outcomes, drawn) if driver_fn else {}))
    drivers = {k: np.concatenate([p[2][k] for p in parts]) for k in parts[0][2]}
    return Baseline(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), drivers), work


def _tornado_state(state: tuple) -> tuple:
    """A process's state for :func:`_tornado_factor`: the model and the baseline's draws, drawn
    again from their chunks (the same numbers: draws depend on the blocks alone)."""
    m, work = state
    return m, [draw(m.inputs.contract, chunk) for chunk in work]


def _tornado_factor(state: tuple, factor: Factor) -> tuple:
    """One factor at its 10th and 90th percentiles on every baseline path: (low, high, the hits and
    the median values at each). The medians are taken here, on the worker, rather than sending
    every path's values back."""
    m, draws = state
    lo, hi = factor.percentile(0.1), factor.percentile(0.9)
    results = []
    for value in (lo, hi):
        outs = [_target_values(m, run_paths(m, d, {factor.name: value})[1]) for d in draws]
        results.append((np.concatenate([o[1] for o in outs]), _median(np.concatenate([o[0] for o in outs]))))
    return lo, hi, results


def tornado(m: Model, *, work: list, base: Baseline, progress: Progress | None = None, workers: int = 1,
            dask: str | None = None) -> Tornado:
    """P(hit) and the median with each factor at its 10th and 90th percentile on every path of the
    baseline (its chunks ``work``), one factor per task on ``workers`` processes or a dask scheduler."""
    n = base.hits.shape[0]
    finished = [0]

    def tick(index: int) -> None:
        finished[0] += 1
        if progress is not None:
            progress("tornado", finished[0], len(m.factors))

    per_factor = []
    swings = map_tasks(_tornado_factor, (replace(m, inputs=for_workers(m.inputs)), work), m.factors,
                       build=_tornado_state, workers=workers, dask=dask, on_done=tick)
    for f, (lo, hi, results) in zip(m.factors, swings):
        (hits_lo, median_lo), (hits_hi, median_hi) = results
        only_lo, only_hi = (hits_lo & ~hits_hi).sum(axis=0), (hits_hi & ~hits_lo).sum(axis=0)
        swing, se = paired_difference(only_lo, only_hi, n)
        per_factor.append((f, lo, hi, hits_lo.mean(axis=0), hits_hi.mean(axis=0), swing, se, median_lo, median_hi))
    bars = []
    for j, target_id in enumerate(m.ids):
        row = [TornadoBar(target_id, f.name, f.assumption, lo, hi, float(p_lo[j]), float(p_hi[j]), float(sw[j]),
                          float(se[j]), float(med_lo[j]), float(med_hi[j]))
               for f, lo, hi, p_lo, p_hi, sw, se, med_lo, med_hi in per_factor]
        row.sort(key=lambda b: (-abs(b.swing), -abs(np.nan_to_num(b.median_swing))))
        bars.append(tuple(row))
    return Tornado(m.ids, n, tuple(float(p) for p in base.p_hit), tuple(float(x) for x in _median(base.values)),
                   tuple(bars))


# ---------------------------------------------------------------- the whole analysis


@dataclass(frozen=True)
class SensitivityConfig:
    """Options of :func:`analyse`.

    Attributes
    ----------
    targets : tuple of str
        Target ids; default every simulated target whose P(hit) on the baseline paths lies in ``band``.
    levers : tuple of LeverRange
        Levers treated as uncertain, uniform over their range.
    samples : int
        Sobol base samples (a power of two); the model runs on samples · (d + 2) · inner paths.
    inner : int
        Shock paths per Sobol row, common to every row.
    paths : int
        Paths of the baseline, of every tornado run and of the scenario discovery.
    band : (low, high)
        "Middling" P(hit): the default targets, and the targets given a discovery box.
    resamples : int
        Bootstrap resamples of the Sobol intervals.
    confidence : float
    """

    targets: tuple[str, ...] = ()
    levers: tuple[LeverRange, ...] = ()
    samples: int = 512
    inner: int = 32
    paths: int = 8192
    band: tuple[float, float] = (0.02, 0.98)
    resamples: int = 999
    confidence: float = 0.95


def least_resamples(confidence: float) -> int:
    """The fewest bootstrap resamples whose percentile interval at ``confidence`` has a resample in
    each tail: the (1 − c)/2 quantile of B resamples needs B·(1 − c)/2 ≥ 1 (40 for 95 %); with
    fewer, the interval's ends are the extreme resamples, whatever the confidence asked for."""
    return math.ceil(2.0 / (1.0 - confidence) - 1e-9)


@dataclass(frozen=True)
class TargetRow:
    """An analysed target: its names, unit and baseline P(hit) and median (registry unit)."""

    id: str
    name_en: str
    name_vi: str
    metric: str
    unit: str
    unit_vi: str
    p_hit: float
    median: float
    assumptions: tuple[str, ...]


@dataclass(frozen=True)
class SensitivityResult:
    """Everything :func:`analyse` found, with the settings and provenance to redo it.

    Tables: :meth:`factors_frame`, :meth:`indices_frame`, :meth:`splits_frame`,
    :meth:`tornado_frame`, :meth:`boxes_frame`; :meth:`to_dict` is ``sensitivity.json``.
    """

    scenario: str
    title: str
    seed: int
    config: SensitivityConfig
    factors: tuple[Factor, ...]
    targets: tuple[TargetRow, ...]
    sobol: SobolResult
    tornado: Tornado
    boxes: tuple[Box, ...]
    not_discovered: tuple[tuple[str, str], ...]
    provenance: dict = field(default_factory=dict)

    def target(self, target_id: str) -> TargetRow:
        return next(t for t in self.targets if t.id == target_id)

    def factors_frame(self) -> pd.DataFrame:
        return pd.DataFrame([f.to_dict() for f in self.factors])

    def indices_frame(self) -> pd.DataFrame:
        return self.sobol.frame()

    def splits_frame(self) -> pd.DataFrame:
        return self.sobol.splits_frame()

    def tornado_frame(self) -> pd.DataFrame:
        return self.tornado.frame()

    def boxes_frame(self) -> pd.DataFrame:
        return boxes_frame(self.boxes)

    def tables(self) -> dict[str, str]:
        """The CSV files of the analysis ({name: text}), as ``simulate sensitivity`` and the report
        write them."""
        frames = {"sensitivity_indices.csv": self.indices_frame(), "sensitivity_split.csv": self.splits_frame(),
                  "sensitivity_tornado.csv": self.tornado_frame(), "sensitivity_boxes.csv": self.boxes_frame(),
                  "sensitivity_factors.csv": self.factors_frame()}
        return {name: frame.to_csv(index=False, float_format="%.6g") for name, frame in frames.items()}

    def to_dict(self) -> dict:
        c = self.config
        return _clean({
            "scenario": self.scenario, "title": self.title, "seed": self.seed,
            "settings": {"samples": c.samples, "inner_paths": c.inner, "paths": c.paths, "band": list(c.band),
                         "bootstrap_resamples": c.resamples, "confidence": c.confidence,
                         "levers": [{"name": r.name, "low": r.low, "high": r.high} for r in c.levers],
                         "model_paths_sobol": self.sobol.evaluations,
                         "tornado": "each factor at its 10th and 90th percentile on every path; every other factor "
                                    "drawn as in the run, levers at the scenario's values; same draws (seed) for all"},
            "provenance": self.provenance,
            "factors": [f.to_dict() for f in self.factors],
            "targets": [{"id": t.id, "name_en": t.name_en, "name_vi": t.name_vi, "metric": t.metric, "unit": t.unit,
                         "unit_vi": t.unit_vi, "p_hit": t.p_hit, "median": t.median, "assumptions": list(t.assumptions)}
                        for t in self.targets],
            "variance_split": self.splits_frame().to_dict(orient="records"),
            "indices": self.indices_frame().to_dict(orient="records"),
            "tornado": self.tornado_frame().to_dict(orient="records"),
            "boxes": [b.to_dict() for b in self.boxes],
            "not_discovered": [{"id": i, "reason": r} for i, r in self.not_discovered],
        })


def _clean(x):
    """JSON-safe: NaN and infinities to None, numpy scalars to Python numbers."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def data_hash(files) -> str:
    """SHA-256 (16 hex digits) over the bytes of the files, in order (as ``results.json`` records it)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


#: Fewest hits (and misses) a target needs on the baseline paths for a discovery box.
MIN_DISCOVERY_HITS = 20



def _discovery_part(state: tuple, jobs: list) -> list[Box]:
    """The boxes of some targets (a task): PRIM on the baseline's drivers of each one's series."""
    drivers, hits, units = state
    return [discover_box(np.column_stack([drivers[n] for n in names]), hits[:, j], names, target=target_id,
                         units={n: units.get(n, "") for n in names}) for j, target_id, names in jobs]


def _discovery_boxes(base: Baseline, jobs: list, units: dict, *, progress: Progress | None, workers: int,
                     dask: str | None) -> list[Box]:
    """The discovery box of every job (target index, id, driver names), in the jobs' order, on
    ``workers`` processes or the dask scheduler (:func:`simulator.runner.map_in_parts`; PRIM is
    deterministic, so the boxes are the same wherever they are found)."""
    def tick(finished: int) -> None:
        if progress is not None:
            progress("discovery", finished, len(jobs))

    return map_in_parts(_discovery_part, (base.drivers, base.hits, units), jobs, workers=workers, dask=dask,
                        on_done=tick)


def analyse(inputs: Inputs, *, config: SensitivityConfig = SensitivityConfig(),
            progress: Progress | None = None, workers: int = 1, dask: str | None = None) -> SensitivityResult:
    """Sobol indices with the variance split, the tornado and the scenario-discovery boxes.

    The baseline (the run's first ``config.paths`` paths) picks the default targets and feeds
    the tornado and the discovery; the Sobol design runs on its own rows (see :func:`sobol`).
    The Sobol rows and the tornado's factors run on ``workers`` local processes or on a dask
    scheduler; the numbers do not depend on it.
    """
    if config.paths <= 0:
        raise InputError(f"expected a positive number of paths, got {config.paths}", file="command line", key="--paths")
    low, high = config.band
    if not 0 <= low < high <= 1:
        raise InputError(f"the band must satisfy 0 <= low < high <= 1, got {low}:{high}", file="command line",
                         key="--band")
    all_factors = factors(inputs, levers=config.levers)
    full = model(inputs, factors=all_factors, targets=config.targets)
    if progress is not None:
        progress("baseline", 0, 1)
    base, work = baseline(full, paths=config.paths, driver_fn=drivers)
    p = base.p_hit
    keep = list(range(len(full.ids))) if config.targets else [j for j in range(len(full.ids)) if low <= p[j] <= high]
    if not keep:
        raise InputError(f"no simulated target has P(hit) in [{low:g}, {high:g}] on {config.paths:,} paths; name "
                         "targets with --targets or widen --band", file="command line", key="--targets")
    m = restrict(full, [full.ids[j] for j in keep])
    base = base.select(keep)
    result_sobol = sobol(m, samples=config.samples, inner=config.inner, resamples=config.resamples,
                         confidence=config.confidence, progress=progress, workers=workers, dask=dask)
    result_tornado = tornado(m, work=work, base=base, progress=progress, workers=workers, dask=dask)
    skipped, jobs = [], []
    medians = _median(base.values)
    for j, target in enumerate(m.targets):
        hits = int(base.hits[:, j].sum())
        if not low <= p[keep[j]] <= high:
            skipped.append((target.id, f"P(hit) {p[keep[j]]:.3f} outside the band {low:g}–{high:g}"))
        elif min(hits, config.paths - hits) < MIN_DISCOVERY_HITS:
            skipped.append((target.id, f"{hits} hits on {config.paths:,} paths: too few to separate"))
        else:
            jobs.append((j, target.id, relevant(target.metric, base.drivers)))
    boxes = _discovery_boxes(base, jobs, driver_units(inputs), progress=progress, workers=workers, dask=dask)
    rows = tuple(TargetRow(t.id, t.name_en, t.name_vi, t.metric, t.unit, t.unit_vi or t.unit, float(p[keep[j]]),
                           float(medians[j]), tuple(assumptions_behind(t.metric, inputs)))
                 for j, t in enumerate(m.targets))
    provenance = {"version": __version__, "scenario_file": inputs.source_file, "scenario_hash": inputs.scenario_hash,
                  "calibration_file": inputs.calibration.path, "data_hash": data_hash(inputs.data_files),
                  "block_size": inputs.contract.block_size}
    return SensitivityResult(inputs.name, inputs.title, inputs.contract.seed, config, all_factors, rows, result_sobol,
                             result_tornado, tuple(boxes), tuple(skipped), provenance)
