"""Sobol indices and the variance split: the estimator path, independent of the model.

:func:`sobol_design` draws the sample matrices of Saltelli's scheme as
:func:`scipy.stats.sobol_indices` does (A and B from one scrambled Sobol' sequence of 2d
dimensions, each row mapped by its distribution's ppf; Saltelli et al. 2010, §5,
doi:10.1016/j.cpc.2009.09.018); :func:`evaluate_design` calls a vectorised function on them a
bounded number of rows at a time; :func:`sobol_estimate` hands the evaluations to
``scipy.stats.sobol_indices`` (its ``func`` dictionary) for the first-order and total indices and
brackets them with a BCa bootstrap over the base rows, the resampling ``SobolResult.bootstrap``
does, through :func:`scipy.stats.bootstrap` with a seeded generator (``SobolResult.bootstrap``
takes none and draws from numpy's global state, so its intervals would change from run to run).
:func:`sobol_indices_of` chains the three for any function (the Ishigami test runs this path).

:func:`variance_splits` is the law of total variance on a rows × inner-paths table:
Var(y) = Var(E[y | x]) + E[Var(y | x)].
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats

from .errors import InputError

#: Progress callback: (stage, done, total); the command line draws a bar from it.
Progress = Callable[[str, int, int], None]

#: First spawn-key entry of the sensitivity generators (far from the run's block indices).
_SEED_KEY = 2 ** 40
SCRAMBLE, BOOTSTRAP, PIGEONHOLE = 1, 2, 3


def seeded_generator(seed: int, purpose: int) -> np.random.Generator:
    """A generator of the sensitivity analysis, from the run's seed: ``SeedSequence(seed,
    spawn_key=(2**40, purpose))``, apart from every stream of the run's blocks."""
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(_SEED_KEY, purpose))))


def sobol_design(*, dists, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sample matrices of Saltelli's scheme, as ``scipy.stats.sobol_indices`` draws them.

    A and B (d, n) come from one scrambled Sobol' sequence of 2d dimensions, each row mapped by
    its distribution's ppf; AB (d, d, n) is A with row i taken from B on page i.
    """
    if n < 2 or n & (n - 1):
        raise InputError(f"the Sobol' sample size must be a power of two (balance of the sequence), got {n}",
                         file="command line", key="--samples")
    d = len(dists)
    both = stats.qmc.Sobol(d=2 * d, seed=rng, bits=64).random(n).T.reshape(2, d, n)
    for i, dist in enumerate(dists):
        both[:, i] = dist.ppf(both[:, i])
    a, b = both
    ab = np.tile(a, (d, 1, 1))
    ab[np.arange(d), np.arange(d)] = b
    return a, b, ab


@dataclass(frozen=True)
class SobolEstimate:
    """First-order and total indices of s outputs to d inputs, with bootstrap intervals.

    Attributes
    ----------
    first, total : (s, d)
    first_low, first_high, total_low, total_high : (s, d)
        Bootstrap (BCa) interval at ``confidence``.
    mean, variance : (s,)
        Of the output over the A and B rows.
    defined : bool (s,)
        False for an output that is constant or not finite on some row (its indices are NaN).
    n : int
        Base samples; the model ran on n(d + 2) rows.
    confidence : float
    """

    first: np.ndarray
    total: np.ndarray
    first_low: np.ndarray
    first_high: np.ndarray
    total_low: np.ndarray
    total_high: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    defined: np.ndarray
    n: int
    confidence: float


class _Saltelli:
    """Saltelli 2010's estimators (scipy's ``saltelli_2010``) as a vectorised bootstrap statistic.

    S_i = mean(f_B (f_AB⁽ⁱ⁾ − f_A)) / V and S_Ti = mean((f_A − f_AB⁽ⁱ⁾)²) / 2V with V the variance
    of f_A and f_B pooled, on outputs centred once on their mean (as ``sobol_indices`` centres
    them). Every term is a mean over base rows, so a resample of row indices is a vector of row
    counts w and each mean is w·P / Σw over per-row products P: one matrix product per batch of
    resamples instead of a copy of f_AB per resample.
    """

    def __init__(self, f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray):
        d, s, n = f_ab.shape
        self.shape, self.n = (s, d), n
        first = (f_b[None] * (f_ab - f_a[None])).transpose(2, 1, 0).reshape(n, s * d)  # (n, s·d), s-major
        total = (0.5 * (f_a[None] - f_ab) ** 2).transpose(2, 1, 0).reshape(n, s * d)
        moments = np.concatenate([(f_a + f_b).T, (f_a ** 2 + f_b ** 2).T], axis=1)  # (n, 2s)
        self.products = np.concatenate([first, total, moments], axis=1)

    def __call__(self, idx: np.ndarray, axis: int = -1) -> np.ndarray:
        """Indices for resampled row indices ``idx`` (..., n'): (2·s·d, ...) first-order then total."""
        idx = np.moveaxis(np.asarray(idx, dtype=np.int64), axis, -1)
        lead = idx.shape[:-1]
        flat = idx.reshape(-1, idx.shape[-1])
        weights = np.zeros((flat.shape[0], self.n))
        np.add.at(weights, (np.arange(flat.shape[0])[:, None], flat), 1.0)
        means = weights @ self.products / flat.shape[1]
        s, d = self.shape
        k = s * d
        mean = means[:, 2 * k: 2 * k + s] / 2.0
        var = means[:, 2 * k + s:] / 2.0 - mean ** 2
        var_k = np.repeat(var, d, axis=1)
        out = np.concatenate([means[:, :k] / var_k, means[:, k: 2 * k] / var_k], axis=1)
        return np.moveaxis(out.reshape(*lead, 2 * k), -1, 0)


def sobol_estimate(*, f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, rng: np.random.Generator,
                   resamples: int = 999, confidence: float = 0.95) -> SobolEstimate:
    """Indices from the evaluations: f_a, f_b (s, n), f_ab (d, s, n) (``scipy.stats.sobol_indices``
    with ``func`` the dictionary of evaluations), intervals by a BCa bootstrap over the base rows."""
    # C order whatever the caller's layout: a mean's rounding follows the memory order, and the
    # evaluations come back from worker processes (pickled) or from this one (views)
    f_a, f_b = np.ascontiguousarray(np.atleast_2d(f_a)), np.ascontiguousarray(np.atleast_2d(f_b))
    f_ab = np.ascontiguousarray(f_ab)
    if f_ab.ndim == 2:
        f_ab = f_ab[:, None, :]
    s, n = f_a.shape
    d = f_ab.shape[0]
    both = np.concatenate([f_a, f_b], axis=1)
    finite = np.isfinite(both).all(axis=1) & np.isfinite(f_ab).all(axis=(0, 2))
    variance = np.where(finite, np.var(np.where(np.isfinite(both), both, 0.0), axis=1), np.nan)
    defined = finite & (variance > 1e-14 * np.maximum(np.abs(np.nanmean(both, axis=1)) ** 2, 1e-300))
    shape = (s, d)
    out = {k: np.full(shape, np.nan) for k in ("first", "total", "first_low", "first_high", "total_low", "total_high")}
    keep = np.flatnonzero(defined)
    if keep.size:
        fa, fb, fab = f_a[keep], f_b[keep], f_ab[:, keep]
        # scipy squeezes its result when s = 1 or d = 1, and fails on the scalar of s = d = 1:
        # one output and one input are given twice and the result reshaped
        twice = 2 if keep.size == 1 and d == 1 else 1
        point = stats.sobol_indices(func={"f_A": np.tile(fa, (twice, 1)), "f_B": np.tile(fb, (twice, 1)),
                                          "f_AB": np.tile(fab, (1, twice, 1))}, n=n)
        out["first"][keep] = np.reshape(point.first_order, (twice * keep.size, d))[:keep.size]
        out["total"][keep] = np.reshape(point.total_order, (twice * keep.size, d))[:keep.size]
        centre = np.concatenate([fa, fb], axis=1).mean(axis=1, keepdims=True)
        statistic = _Saltelli(fa - centre, fb - centre, fab - centre[None])
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            boot = stats.bootstrap((np.arange(n),), statistic, vectorized=True, method="BCa", n_resamples=resamples,
                                   batch=64, confidence_level=confidence, rng=rng)
        # an index the bootstrap cannot move (an input the output ignores: f_AB = f_A on every row)
        # has a degenerate BCa interval (NaN): its interval is the point itself
        point_flat = np.concatenate([out["first"][keep].ravel(), out["total"][keep].ravel()])
        flat = np.ptp(boot.bootstrap_distribution, axis=-1) < 1e-12
        low = np.where(flat, point_flat, boot.confidence_interval.low).reshape(2, keep.size, d)
        high = np.where(flat, point_flat, boot.confidence_interval.high).reshape(2, keep.size, d)
        out["first_low"][keep], out["total_low"][keep] = low
        out["first_high"][keep], out["total_high"][keep] = high
    return SobolEstimate(**out, mean=np.nanmean(both, axis=1), variance=variance, defined=defined, n=n,
                         confidence=confidence)


def evaluate_design(func, a: np.ndarray, b: np.ndarray, ab: np.ndarray, *, rows_per_call: int = 4096,
                    progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f(A), f(B) (s, n) and f(AB) (d, s, n) from ``func(x (d, r)) → (s, r)``, called on at most
    ``rows_per_call`` rows at a time (bounded memory)."""
    d, n = a.shape
    stacked = np.concatenate([a, b, np.moveaxis(ab, 0, 1).reshape(d, d * n)], axis=1)
    parts, total = [], stacked.shape[1]
    for start in range(0, total, rows_per_call):
        parts.append(np.atleast_2d(func(stacked[:, start: start + rows_per_call])))
        if progress is not None:
            progress("sobol", min(start + rows_per_call, total), total)
    out = np.concatenate(parts, axis=1)
    return out[:, :n], out[:, n: 2 * n], np.moveaxis(out[:, 2 * n:].reshape(-1, d, n), 1, 0)


def sobol_indices_of(*, func, dists, n: int, seed: int, resamples: int = 999, confidence: float = 0.95,
                     rows_per_call: int = 4096) -> SobolEstimate:
    """Sobol indices of a vectorised ``func(x (d, r)) → (s, r)`` over independent inputs ``dists``
    (frozen scipy distributions): design → evaluations → scipy's estimator and a seeded bootstrap.

    Examples
    --------
    >>> from scipy import stats
    >>> ishigami = lambda x: np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])
    >>> est = sobol_indices_of(func=ishigami, dists=[stats.uniform(-np.pi, 2 * np.pi)] * 3, n=1024, seed=1)
    >>> np.round(est.first[0], 1).tolist()
    [0.3, 0.4, 0.0]
    """
    a, b, ab = sobol_design(dists=dists, n=n, rng=seeded_generator(seed, SCRAMBLE))
    f_a, f_b, f_ab = evaluate_design(func, a, b, ab, rows_per_call=rows_per_call)
    return sobol_estimate(f_a=f_a, f_b=f_b, f_ab=f_ab, rng=seeded_generator(seed, BOOTSTRAP), resamples=resamples,
                          confidence=confidence)


# ---------------------------------------------------------------- the variance split


@dataclass(frozen=True)
class VarianceSplit:
    """Var(y) = Var(E[y | x]) + E[Var(y | x)] from a rows × inner-paths table.

    ``share`` is Var(E[y | x]) / Var(y), the part of the variance that the factors explain; the
    rest is the shocks' (their main effect and their interaction with the factors).
    """

    share: float
    low: float
    high: float
    between: float
    total: float


def _components(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ_a², σ_a² + σ_b² + σ_e²) per output of tables (n, m, k)."""
    n, m = table.shape[:2]
    grand = table.mean(axis=(0, 1))
    rows, cols = table.mean(axis=1), table.mean(axis=0)
    ms_rows = m * np.sum((rows - grand) ** 2, axis=0) / (n - 1)
    ms_cols = n * np.sum((cols - grand) ** 2, axis=0) / (m - 1)
    resid = table - rows[:, None] - cols[None, :] + grand
    ms_e = np.sum(resid ** 2, axis=(0, 1)) / ((n - 1) * (m - 1))
    a, b = np.maximum((ms_rows - ms_e) / m, 0.0), np.maximum((ms_cols - ms_e) / n, 0.0)
    return a, a + b + ms_e


def pigeonhole_indices(rng: np.random.Generator, n: int, m: int, resamples: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The rows and the columns of each pigeonhole resample of an n × m table, drawn in turn."""
    return [(rng.integers(0, n, n), rng.integers(0, m, m)) for _ in range(resamples)]


def resampled_shares(table: np.ndarray, resamples: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """σ_a² / (σ_a² + σ_b² + σ_e²) of each resample (rows, columns) of a table (n, m, k): (len, k)."""
    shares = np.empty((len(resamples), table.shape[2]))
    with np.errstate(divide="ignore", invalid="ignore"):
        for b, (rows, columns) in enumerate(resamples):
            a, t = _components(table[rows][:, columns])
            shares[b] = a / t
    return shares


def variance_splits(y: np.ndarray, *, rng: np.random.Generator, resamples: int = 200,
                    confidence: float = 0.95, shares_of=resampled_shares) -> tuple[VarianceSplit, ...]:
    """The factors' share of Var(y) for each output of y (rows, inner, outputs).

    Two-way crossed random-effects ANOVA with one observation per cell: y_rj = μ + a_r + b_j + e_rj
    (rows r: factor values; columns j: shock paths common to every row). E[MS_rows] = σ_e² + m σ_a²,
    so σ_a² = (MS_rows − MS_e)/m estimates Var(E[y | x]); the total is σ_a² + σ_b² + σ_e². The
    interval resamples rows and columns independently (pigeonhole bootstrap, Owen 2007): the
    resamples are drawn first, and ``shares_of(table, resamples)`` (default
    :func:`resampled_shares`) computes their shares, in order, wherever the caller runs it.
    An output that is not finite on every cell, or constant, gets NaN.
    """
    y = np.ascontiguousarray(y, dtype=float)  # C order, as in sobol_estimate: the same rounding wherever y was made
    if y.ndim == 2:
        y = y[:, :, None]
    n, m, k = y.shape
    finite = np.isfinite(y).all(axis=(0, 1))
    clean = np.where(finite, y, 0.0)
    between, total = _components(clean)
    shares = shares_of(clean, pigeonhole_indices(rng, n, m, resamples))
    with np.errstate(divide="ignore", invalid="ignore"):
        point = between / total
    tail = (1 - confidence) / 2
    out = []
    for j in range(k):
        if not finite[j] or not total[j] > 0:
            out.append(VarianceSplit(np.nan, np.nan, np.nan, float(between[j]), float(total[j])))
            continue
        low, high = np.nanquantile(shares[:, j], [tail, 1 - tail])
        out.append(VarianceSplit(float(point[j]), float(low), float(high), float(between[j]), float(total[j])))
    return tuple(out)
