"""Targets judged on simulated paths: a plan fixed before the run, per-path values and hit
indicators, Wilson intervals. Evaluation reads the outcomes only, never the equations."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from .metrics import SERIES
from .targets import Kind, Method, Target, Transform, value_unit
from .units import conversion_factor


def wilson_interval(hits: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927, doi:10.1080/01621459.1927.10502953).

    Unlike the normal approximation it stays inside [0, 1] and is sensible at 0 or n hits.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(0, 100)]
    [0.0, 0.037]
    """
    if n <= 0:
        return (math.nan, math.nan)
    z = float(ndtri(0.5 + confidence / 2.0))  # the normal quantile
    p = hits / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def _column(years: np.ndarray, year: int) -> int:
    index = np.flatnonzero(years == year)
    if index.size == 0:
        raise ValueError(f"year {year} is not simulated ({years[0]}–{years[-1]})")
    return int(index[0])


def effective_bounds(target: Target, tolerance: float) -> tuple[float, float]:
    """Thresholds in the report's unit after the "about" tolerance (relative, loosening only)."""
    low, high = target.bounds
    if not target.approx or tolerance == 0:
        return low, high
    return low - tolerance * abs(low), high + tolerance * abs(high)


def compare(values: np.ndarray, comparator: str, low: float, high: float) -> np.ndarray:
    """Hit indicator; NaN values never hit."""
    if comparator == ">=":
        return values >= low
    if comparator == ">":
        return values > low
    if comparator == "<=":
        return values <= high
    if comparator == "<":
        return values < high
    return (values >= low) & (values <= high)


def target_values(target: Target, series: np.ndarray, years: np.ndarray, *, target_year: int) -> np.ndarray:
    """Per-path values that decide a target, in the engine's unit (see :func:`value_unit`).

    Returns (paths,) for level, average growth and cumulative targets, (paths, years in period)
    for every-year targets.
    """
    if target.kind is Kind.LEVEL:
        return series[:, _column(years, target.year or target_year)]
    first, last = target.period
    if target.kind is Kind.AVERAGE_GROWTH:
        start, end = series[:, _column(years, first)], series[:, _column(years, last)]
        return (end / start) ** (1.0 / (last - first)) - 1.0
    if target.kind is Kind.AVERAGE_CHANGE:
        return (series[:, _column(years, last)] - series[:, _column(years, first)]) / (last - first)
    if target.kind is Kind.PERIOD_MEAN:
        return series[:, _column(years, first) + 1: _column(years, last) + 1].mean(axis=1)
    if target.kind is Kind.CUMULATIVE:
        return series[:, _column(years, first): _column(years, last) + 1].sum(axis=1)
    # every year
    i0, i1 = _column(years, first), _column(years, last)
    if target.transform is Transform.LEVEL:
        return series[:, i0: i1 + 1]
    lo = max(i0, 1)
    current, previous = series[:, lo: i1 + 1], series[:, lo - 1: i1]
    return current / previous - 1.0 if target.transform is Transform.GROWTH else current - previous


def judge(target: Target, values: np.ndarray, metric_unit: str, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """(shown value (paths,), hit (paths,) bool) for values from :func:`target_values`.

    For an every-year target the shown value is the worst year: the minimum for ``>=``, ``>`` and
    ``between``, the maximum for ``<`` and ``<=``.
    """
    factor = conversion_factor(value_unit(target, metric_unit), target.unit)
    low, high = effective_bounds(target, tolerance)
    hits = compare(values * factor, target.comparator, low, high)
    if values.ndim == 2:
        hits = hits.all(axis=1)
        values = values.max(axis=1) if target.comparator in ("<", "<=") else values.min(axis=1)
    return values, hits


@dataclass(frozen=True)
class Plan:
    """How every evaluated target of a run is judged: fixed before the first path is drawn.

    Attributes
    ----------
    targets : tuple of Target
        The evaluated rows (model, trend and prior methods), registry order.
    years : int array (H + 1,)
    target_year : int
    tolerances : tuple of float
        The relative "about" tolerance of each row.
    metric_units : tuple of str or None
        The engine unit of each simulated row's metric (None for prior rows).
    prior_column : dict id -> int
        Column of each prior row in the outcomes' prior hits.
    """

    targets: tuple[Target, ...]
    years: np.ndarray
    target_year: int
    tolerances: tuple[float, ...]
    metric_units: tuple[str | None, ...]
    prior_column: dict[str, int]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.targets)

    def scale(self, j: int) -> str | None:
        """The histogram scale of row j's deciding value (:mod:`simulator.summaries`); None for priors."""
        t, unit = self.targets[j], self.metric_units[j]
        if unit is None:
            return None
        if (value_unit(t, unit) == "share/yr" or t.kind is Kind.AVERAGE_CHANGE
                or (t.kind is Kind.EVERY_YEAR and t.transform is Transform.CHANGE)):
            if t.kind is Kind.AVERAGE_CHANGE:
                return "rate" if SERIES[t.metric].scale != "log" else "log"
            return "rate" if SERIES[t.metric].scale != "log" or t.transform is not Transform.CHANGE else "log"
        return "log" if t.kind is Kind.CUMULATIVE else SERIES[t.metric].scale


@dataclass(frozen=True)
class Evaluation:
    """Per-path values and hits of one set of paths: values (paths, T) in the engine's unit (NaN for
    prior rows and undefined values), hits (paths, T) bool, columns in ``Plan.targets`` order."""

    values: np.ndarray
    hits: np.ndarray


def make_plan(targets, *, years: np.ndarray, target_year: int, options, prior_ids: tuple[str, ...]) -> Plan:
    """The plan of the given evaluated rows (``options`` gives the "about" tolerances)."""
    column = {pid: j for j, pid in enumerate(prior_ids)}
    return Plan(targets=tuple(targets), years=years, target_year=target_year,
                tolerances=tuple(options.tolerance(t.id) for t in targets),
                metric_units=tuple(None if t.method is Method.PRIOR else SERIES[t.metric].unit for t in targets),
                prior_column={t.id: column[t.id] for t in targets if t.method is Method.PRIOR})


def evaluate(plan: Plan, series: dict[str, np.ndarray], prior_hits: np.ndarray) -> Evaluation:
    """Values deciding each target and whether each path hits it.

    Parameters
    ----------
    plan : Plan
    series : dict metric -> array (paths, H + 1)
    prior_hits : bool array (paths, k)
    """
    n = prior_hits.shape[0]
    # target-major in memory, (paths, T) in use: each target's column is contiguous for its
    # histogram and written in one pass
    values = np.full((len(plan.targets), n), np.nan).T
    hits = np.empty((len(plan.targets), n), dtype=bool).T
    for j, t in enumerate(plan.targets):
        if t.method is Method.PRIOR:
            hits[:, j] = prior_hits[:, plan.prior_column[t.id]]
            continue
        raw = target_values(t, series[t.metric], plan.years, target_year=plan.target_year)
        values[:, j], hits[:, j] = judge(t, raw, plan.metric_units[j], plan.tolerances[j])
    return Evaluation(values, hits)
