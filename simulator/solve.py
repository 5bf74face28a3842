"""What it takes: the lever value at which P(hit) reaches a probability, on common random numbers.

On fixed draws each path's margin to a target (how far its deciding value is past the
threshold) moves continuously with a lever, so each path has its own threshold lever value x*
at which it starts (or stops) hitting. :func:`solve` finds every path's x* at once with
scipy's elementwise bracketing root finder (:func:`scipy.optimize.elementwise.find_root`,
Chandrupatla's method), chunk by chunk; P(hit) as a function of the lever is then the share of
paths past their x*, exactly, and the lever that reaches P = p is an order statistic of the x*.
Its Monte Carlo uncertainty is the lever range over which P stays inside the Wilson interval of
p. Monotonicity of each path's margin is checked on a grid and reported.

:func:`solve_deterministic` is the World Bank LTGM's "what it takes" (Loayza & Pennings 2018):
the lever at which the zero-volatility path meets the target (:func:`scipy.optimize.brentq`).
:func:`frontier` and :func:`solve_all` evaluate lever grids as variants on the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import brentq
from scipy.optimize.elementwise import find_root

from .draws import Draws, chunks, draw, neutral
from .engine import PathValues, path_values, simulate
from .errors import InputError
from .evaluate import effective_bounds, target_values, wilson_interval
from .inputs import Inputs, evaluated_targets
from .levers import LEVERS, ResolvedLevers
from .metrics import SERIES
from .runner import Variant, for_workers, map_tasks, run_variants
from .targets import Method, Target, value_unit
from .units import conversion_factor

#: Interior lever values at which every path's margin is checked for monotonicity.
MONOTONE_CHECKS = 5

#: Each interval of that grid cut this many times more for the paths whose margin turns or is
#: undefined somewhere on it: a hit that starts and stops between two check values is found
#: there (6a against the investment share: a path too slow to have a TFP share at the low end
#: can hit over a narrow band of higher investment, then miss as capital takes over).
REFINE = 8

#: Lever values of that finer grid, the range's ends included.
FINE_POINTS = (MONOTONE_CHECKS + 1) * REFINE + 1


def _monotone_breaks(margins: np.ndarray) -> np.ndarray:
    """Per path (column): does the margin change direction along the rows (a grid of the lever)?
    Undefined values (NaN) are skipped: each defined value is compared with the last one before it."""
    rows = np.arange(margins.shape[0])[:, None]
    last_defined = np.maximum.accumulate(np.where(np.isnan(margins), 0, rows), axis=0)
    steps = np.diff(np.take_along_axis(margins, last_defined, axis=0), axis=0)
    scale = np.nanmax(np.abs(margins), axis=0) * 1e-9
    return np.any(steps > scale, axis=0) & np.any(steps < -scale, axis=0)


def target_margin(target: Target, series: dict[str, np.ndarray], inputs: Inputs) -> np.ndarray:
    """Signed distance past the threshold, per path, in the report's unit: > 0 is a hit.

    value − floor for ``>=`` and ``>``, ceiling − value for ``<=`` and ``<``; for an every-year
    target, the worst year; NaN (an undefined value) never hits. Two-sided ``between`` targets
    have no monotone margin and are refused.
    """
    if target.comparator == "between":
        raise InputError(f"target {target.id} is a range ('between'): a lever moves it in and out of its band, so no "
                         "single threshold exists; solve for a one-sided target", file=inputs.registry.path,
                         key=f"target {target.id}")
    raw = target_values(target, series[target.metric], inputs.years, target_year=inputs.registry.target_year)
    values = raw * conversion_factor(value_unit(target, SERIES[target.metric].unit), target.unit)
    low, high = effective_bounds(target, inputs.target_options.tolerance(target.id))
    margin = values - low if target.comparator in (">", ">=") else high - values
    if margin.ndim == 2:
        margin = margin.min(axis=1)
    return margin


def _target(inputs: Inputs, target_id: str) -> Target:
    targets = {t.id: t for t in evaluated_targets(inputs)}
    if target_id not in targets:
        raise InputError(f"unknown or not evaluated target '{target_id}'; evaluated targets: {', '.join(targets)}",
                         file="command line", key="--target")
    target = targets[target_id]
    if target.method is Method.PRIOR:
        raise InputError(f"target {target_id} is judged by a prior probability, which no lever moves",
                         file="command line", key="--target")
    return target


def lever_range(lever: str, bounds: tuple[float, float] | None, *, keys: tuple[str, str] = ("--lever", "--range")
                ) -> tuple[float, float]:
    """The lever's search range: its admissible range, or the given narrower one; ``keys`` name
    the options that gave the lever and the range in messages."""
    if lever not in LEVERS:
        raise InputError(f"unknown lever '{lever}'; levers: {', '.join(LEVERS)}", file="command line", key=keys[0])
    spec = LEVERS[lever]
    lo, hi = (spec.lower, spec.upper) if bounds is None else bounds
    if not (spec.lower <= lo < hi <= spec.upper):
        raise InputError(f"range must satisfy {spec.lower} <= low < high <= {spec.upper} ({spec.unit}), got {lo}, {hi}",
                         file="command line", key=keys[1])
    return float(lo), float(hi)


def _with_lever(inputs: Inputs, lever: str, values: np.ndarray) -> ResolvedLevers:
    """The inputs' levers with one lever set per path (the same value in every year)."""
    per_path = np.broadcast_to(np.asarray(values, dtype=float)[None, :], (inputs.horizon, np.size(values)))
    return ResolvedLevers({**inputs.levers.values, lever: per_path}, {**inputs.levers.origin, lever: "solve"})


def _margins(inputs: Inputs, target: Target, lever: str, x: np.ndarray, drawn: Draws,
             values: PathValues | None = None) -> np.ndarray:
    outcomes = simulate(inputs, drawn, _with_lever(inputs, lever, x), values=values)
    return target_margin(target, outcomes.series, inputs)


@dataclass(frozen=True)
class Thresholds:
    """Where each path starts and stops hitting as the lever rises over its range.

    ``start`` counts the paths that hit at the low end; ``up`` holds the lever values x at which
    a path starts hitting (a hit from x on), ``down`` those at which one stops (a hit up to x
    included). A path whose margin rises then falls (investment that first lifts
    growth, then the capital it adds outweighs TFP's share) has one of each: every crossing found
    on the check grid is kept, so P(hit) is exact on these paths wherever the grid saw the turn.
    ``non_monotone`` counts paths whose margin changes direction on the finer grid, ``moved`` the
    paths whose margin differs between the two ends of the range (the lever moves their value,
    hit or not).
    """

    n: int
    start: int
    up: np.ndarray
    down: np.ndarray
    non_monotone: int
    evaluations: int
    moved: int = 0

    @property
    def crossings(self) -> np.ndarray:
        return np.concatenate([self.up, self.down])

    def probability(self, lever_values) -> np.ndarray:
        """P(hit) at each lever value, exactly on these paths."""
        values = np.atleast_1d(np.asarray(lever_values, dtype=float))
        up, down = np.sort(self.up), np.sort(self.down)
        hits = self.start + np.searchsorted(up, values, side="right") - np.searchsorted(down, values, side="left")
        return hits / self.n


def thresholds(inputs: Inputs, target: Target, lever: str, lo: float, hi: float, *, xtol: float,
               workers: int = 1, dask: str | None = None) -> Thresholds:
    """Every path's crossings of a target, chunk by chunk (bounded memory per process): the
    chunks are independent, so they run on ``workers`` local processes or on a dask scheduler
    with the same result (:func:`simulator.runner.map_tasks`)."""
    work = chunks(inputs.paths, inputs.contract.block_size, inputs.chunk_size)
    parts = map_tasks(_chunk_thresholds, (for_workers(inputs), target, lever, lo, hi, xtol), work, workers=workers,
                      dask=dask)
    return Thresholds(n=sum(p[0] for p in parts), start=sum(p[1] for p in parts),
                      up=np.concatenate([p[2] for p in parts]), down=np.concatenate([p[3] for p in parts]),
                      non_monotone=sum(p[4] for p in parts), evaluations=sum(p[5] for p in parts),
                      moved=sum(p[6] for p in parts))


def _chunk_thresholds(problem: tuple, chunk) -> tuple:
    """(paths, hits at the low end, up crossings, down crossings, non-monotone paths, evaluations,
    moved paths) of one chunk's paths.

    The margins on a grid of the range say where each path's hit changes; a path whose margin
    turns or is undefined (NaN, a miss, as the evaluation counts it) somewhere on that grid is
    looked at again on a grid :data:`REFINE` times finer. Between two neighbouring grid values
    whose hits differ, the root finder places the crossing, every path's at once."""
    inputs, target, lever, lo, hi, xtol = problem
    coarse = np.linspace(lo, hi, MONOTONE_CHECKS + 2)
    fine = np.linspace(lo, hi, FINE_POINTS)
    drawn = draw(inputs.contract, chunk)
    values = path_values(inputs, drawn)  # the lever changes nothing in them: computed once a chunk
    n = drawn.n_paths

    def margins(x, paths=None):
        if paths is None:
            return _margins(inputs, target, lever, x, drawn, values)
        index = paths.astype(np.int64)
        return _margins(inputs, target, lever, x, drawn.take(index), values.take(index))

    at = np.stack([margins(np.full(n, x)) for x in coarse])
    evaluations = len(coarse)
    moved = int(np.sum(np.abs(np.nan_to_num(at[-1] - at[0])) > np.nanmax(np.abs(at), axis=0) * 1e-9))
    turning = _monotone_breaks(at)
    irregular = np.flatnonzero(turning | np.isnan(at).any(axis=0))
    hit = np.nan_to_num(at, nan=-np.inf) > 0
    # brackets (path, low, high, starts hitting) of every change of hit between grid neighbours
    paths, lows, highs, starts = [], [], [], []

    def brackets(grid: np.ndarray, hits: np.ndarray, columns: np.ndarray) -> None:
        where = np.nonzero(hits[:-1] != hits[1:])
        paths.append(columns[where[1]])
        lows.append(grid[where[0]])
        highs.append(grid[where[0] + 1])
        starts.append(hits[where[0] + 1, where[1]])

    regular = np.setdiff1d(np.arange(n), irregular)
    brackets(coarse, hit[:, regular], regular)
    non_monotone = 0
    if irregular.size:
        again = np.stack([margins(np.full(irregular.size, x), irregular.astype(float)) for x in fine])
        evaluations += len(fine)
        non_monotone = int(_monotone_breaks(again).sum())
        brackets(fine, np.nan_to_num(again, nan=-np.inf) > 0, irregular)
    paths, lows, highs, starts = (np.concatenate(a) for a in (paths, lows, highs, starts))
    x = np.empty(0)
    if paths.size:
        def f(lever_values, which):
            margin = margins(lever_values, which)
            return np.where(np.isnan(margin), -1.0, margin)  # undefined is a miss; a finite one for the bracket

        found = find_root(f, (lows, highs), args=(paths.astype(float),), tolerances={"xatol": xtol, "xrtol": 0.0})
        x = found.x
        evaluations += int(np.max(found.nfev))
    return n, int(hit[0].sum()), x[starts], x[~starts], non_monotone, evaluations, moved


@dataclass(frozen=True)
class Solution:
    """The lever value at which P(hit target) reaches the probability, with its uncertainty.

    ``solution`` is None when no value in ``lever_range`` reaches it; ``max_probability`` and
    ``argmax`` then say how far it gets. ``curve`` is P(hit) on a grid of the range. ``status``
    says which case it is (:data:`STATUSES`), ``deterministic_status`` the same of the
    zero-volatility path ("crosses" where ``deterministic`` is its value).
    """

    target: str
    lever: str
    probability: float
    lever_range: tuple[float, float]
    solution: float | None
    solution_ci95: tuple[float, float] | None
    reachable: bool
    max_probability: float
    argmax: float
    probability_at_range: tuple[float, float]
    paths: int
    non_monotone_paths: int
    curve: tuple[tuple[float, float], ...] = field(repr=False)
    status: str = "reached"
    moved_by_lever: bool = True
    deterministic: float | None = None
    deterministic_status: str = "crosses"

    def to_dict(self) -> dict:
        return {"target": self.target, "lever": self.lever, "unit": LEVERS[self.lever].unit,
                "probability": self.probability, "lever_range": list(self.lever_range), "solution": self.solution,
                "solution_ci95": list(self.solution_ci95) if self.solution_ci95 else None, "reachable": self.reachable,
                "max_probability": self.max_probability, "argmax": self.argmax,
                "probability_at_range": list(self.probability_at_range), "paths": self.paths,
                "non_monotone_paths": self.non_monotone_paths, "status": self.status,
                "moved_by_lever": self.moved_by_lever,
                "deterministic": self.deterministic, "deterministic_status": self.deterministic_status,
                "curve": [{"lever": x, "p_hit": p} for x, p in self.curve]}


#: What a solve found: P(hit) reaches the probability inside the range; it is reached at both
#: ends already; the lever moves no path's value (solve) or P(hit) (solve --all) over the range;
#: or it does, but P never gets there.
STATUSES = ("reached", "met over the whole range", "not moved by the lever", "unreachable")


def _status(solution: float | None, ends: tuple[float, float], probability: float, moved: bool) -> str:
    if solution is not None:
        return "met over the whole range" if min(ends) >= probability - 1e-12 else "reached"
    return "unreachable" if moved else "not moved by the lever"


def _lowest_reaching(th: Thresholds, probability: float, lo: float, hi: float) -> float | None:
    """The lever value nearest the side where P is low at which P first reaches ``probability``."""
    crossings = th.crossings
    candidates = np.unique(np.concatenate([[lo, hi], crossings[np.isfinite(crossings)]]))
    p = th.probability(candidates)
    increasing = p[-1] >= p[0]
    reached = np.flatnonzero(p >= probability - 1e-12)
    if reached.size == 0:
        return None
    return float(candidates[reached[0]] if increasing else candidates[reached[-1]])


def solve(inputs: Inputs, *, target_id: str, lever: str, probability: float = 0.5,
          bounds: tuple[float, float] | None = None, xtol: float | None = None, workers: int = 1,
          dask: str | None = None) -> Solution:
    """The lever value at which P(hit) = ``probability``, on the scenario's draws.

    Parameters
    ----------
    inputs : Inputs
    target_id, lever : str
    probability : float
        In (0, 1).
    bounds : (low, high), optional
        Search range of the lever; default its admissible range.
    xtol : float, optional
        Absolute tolerance of each path's root; default 1e-6 of the range.
    workers, dask
        Where the chunks' root finders run (:func:`thresholds`); never changes a number.
    """
    if not 0 < probability < 1:
        raise InputError(f"probability must lie in (0, 1), got {probability}", file="command line", key="--probability")
    target = _target(inputs, target_id)
    lo, hi = lever_range(lever, bounds)
    th = thresholds(inputs, target, lever, lo, hi, xtol=xtol or 1e-6 * (hi - lo), workers=workers, dask=dask)
    grid = np.linspace(lo, hi, 41)
    curve_p = th.probability(grid)
    best = int(np.argmax(curve_p))
    solution = _lowest_reaching(th, probability, lo, hi)
    ci = None
    if solution is not None:
        p_low, p_high = wilson_interval(round(probability * th.n), th.n)
        ends = [_lowest_reaching(th, q, lo, hi) for q in (p_low, p_high)]
        ends = [e if e is not None else (hi if curve_p[-1] >= curve_p[0] else lo) for e in ends]
        ci = (min(ends), max(ends))
    ends = (float(curve_p[0]), float(curve_p[-1]))
    moved = th.moved > 0  # the lever moves some path's value (its hit may still not change)
    deterministic, deterministic_status = _deterministic(inputs, target_id, lever, (lo, hi))
    return Solution(target=target_id, lever=lever, probability=probability, lever_range=(lo, hi), solution=solution,
                    solution_ci95=ci, reachable=solution is not None, max_probability=float(curve_p[best]),
                    argmax=float(grid[best]), probability_at_range=ends, paths=th.n, non_monotone_paths=th.non_monotone,
                    curve=tuple((float(x), float(p)) for x, p in zip(grid, curve_p)),
                    status=_status(solution, ends, probability, moved=moved), moved_by_lever=moved,
                    deterministic=deterministic, deterministic_status=deterministic_status)


def _deterministic(inputs: Inputs, target_id: str, lever: str, bounds: tuple[float, float] | None
                   ) -> tuple[float | None, str]:
    """(value, status) of the zero-volatility path: the lever value where it meets the target and
    "crosses", or None and "met over the whole range" / "not met in the range"."""
    target = _target(inputs, target_id)
    lo, hi = lever_range(lever, bounds)
    flat = replace(inputs, volatility_scale=0.0)
    drawn = neutral(inputs.contract, 1)

    def margin(x: float) -> float:
        return float(_margins(flat, target, lever, np.array([x]), drawn)[0])

    m_lo, m_hi = margin(lo), margin(hi)
    if np.isfinite(m_lo) and np.isfinite(m_hi) and np.sign(m_lo) != np.sign(m_hi):
        return float(brentq(margin, lo, hi, xtol=1e-9 * (hi - lo))), "crosses"
    return None, "met over the whole range" if m_lo > 0 and m_hi > 0 else "not met in the range"


def solve_deterministic(inputs: Inputs, *, target_id: str, lever: str,
                        bounds: tuple[float, float] | None = None) -> float | None:
    """The lever at which the zero-volatility path (no shocks, parameters at their estimates) meets
    the target, by Brent's method; None when it does not cross the threshold in the range."""
    return _deterministic(inputs, target_id, lever, bounds)[0]


@dataclass(frozen=True)
class GridResult:
    """P(hit) of every target at every lever value (or pair of values), on the same draws."""

    levers: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]  # one tuple of lever values per grid point
    ids: tuple[str, ...]
    p_hit: np.ndarray  # (points, targets)
    paths: int


def evaluate_grid(inputs: Inputs, levers: tuple[str, ...], points: list[tuple[float, ...]], *,
                  workers: int = 1, dask: str | None = None) -> GridResult:
    """Run every grid point as a variant of the scenario on the same draws (on ``workers`` local
    processes, or on a dask scheduler; the numbers do not depend on it)."""
    variants = []
    for k, point in enumerate(points):
        values = dict(inputs.levers.values)
        for lever, x in zip(levers, point):
            values[lever] = np.full((inputs.horizon, 1), float(x))
        variants.append(Variant(inputs, levers=ResolvedLevers(values, inputs.levers.origin), name=f"point{k}",
                                counts_only=True))
    run = run_variants(variants, workers=workers, dask=dask)
    ids = run.paired.ids
    hits = run.paired.both[np.arange(len(points)), np.arange(len(points))]
    return GridResult(levers, tuple(tuple(p) for p in points), ids, hits / run.paths, run.paths)


def _crossing(xs: np.ndarray, ps: np.ndarray, probability: float) -> float | None:
    """Where a P(hit) sequence on a grid first reaches ``probability`` (linear between points)."""
    increasing = ps[-1] >= ps[0]
    order = np.arange(len(xs)) if increasing else np.arange(len(xs))[::-1]
    for a, b in zip(order[:-1], order[1:]):
        if ps[a] >= probability:
            return float(xs[a])
        if ps[a] < probability <= ps[b]:
            return float(xs[a] + (probability - ps[a]) / (ps[b] - ps[a]) * (xs[b] - xs[a]))
    return float(xs[order[-1]]) if ps[order[-1]] >= probability else None


def solve_all(inputs: Inputs, *, lever: str, probability: float = 0.5, bounds: tuple[float, float] | None = None,
              points: int = 21, workers: int = 1, dask: str | None = None) -> list[dict]:
    """The "what it takes" table: for every simulated target, the lever value reaching
    ``probability`` (linear interpolation on a grid of ``points`` values), or the largest P reached."""
    lo, hi = lever_range(lever, bounds)
    xs = np.linspace(lo, hi, points)
    grid = evaluate_grid(inputs, (lever,), [(x,) for x in xs], workers=workers, dask=dask)
    targets = {t.id: t for t in evaluated_targets(inputs)}
    se = np.sqrt(np.clip(grid.p_hit * (1 - grid.p_hit), 1e-12, None) / grid.paths)
    rows = []
    for j, target_id in enumerate(grid.ids):
        target = targets[target_id]
        ps = grid.p_hit[:, j]
        moves = ps.max() - ps.min() > 2 * se[:, j].max()
        monotone = bool(np.all(np.diff(ps) >= -2 * se[1:, j]) or np.all(np.diff(ps) <= 2 * se[1:, j]))
        prior = target.method is Method.PRIOR
        solution = _crossing(xs, ps, probability) if not prior else None
        best = int(np.argmax(ps))
        status = "prior" if prior else _status(solution, (float(ps[0]), float(ps[-1])), probability, bool(moves))
        rows.append({"id": target_id, "method": target.method.value, "solution": solution, "status": status,
                     "reachable": solution is not None, "p_at_low": float(ps[0]), "p_at_high": float(ps[-1]),
                     "max_probability": float(ps[best]), "argmax": float(xs[best]), "moved_by_lever": bool(moves),
                     "monotone": monotone, "kind": target.kind.value})
    return rows


def frontier(inputs: Inputs, *, target_id: str, levers: tuple[str, str], grids: tuple[np.ndarray, np.ndarray],
             probability: float = 0.5, workers: int = 1, dask: str | None = None) -> dict:
    """P(hit) of one target on a grid of two levers, and the p-contour: for each value of the
    second lever, the value of the first at which P reaches ``probability`` (linear interpolation)."""
    _target(inputs, target_id)
    for lever, values in zip(levers, grids):
        lever_range(lever, (float(np.min(values)), float(np.max(values))))
    a, b = (np.asarray(g, dtype=float) for g in grids)
    points = [(x, y) for y in b for x in a]
    grid = evaluate_grid(inputs, levers, points, workers=workers, dask=dask)
    j = grid.ids.index(target_id)
    surface = grid.p_hit[:, j].reshape(len(b), len(a))
    contour = [{levers[1]: float(y), levers[0]: _crossing(a, surface[k], probability)} for k, y in enumerate(b)]
    return {"target": target_id, "levers": list(levers), "probability": probability, "paths": grid.paths,
            levers[0]: a.tolist(), levers[1]: b.tolist(), "p_hit": surface.tolist(), "contour": contour}
