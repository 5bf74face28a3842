"""Updates from new releases: P(hit) given what has been published since the base year.

A published value (say real growth of 8.1 % in 2026) is a constraint on every path: the
year's shocks and the drawn parameters must be such that the path shows that value. Rather than
keep only the paths that happen to (rejection, which throws paths away and collapses on exact
values), each path's standard-normal inputs z — the year's correlated shocks and the primitive
parameters the series rests on — are moved to the nearest point of the constraint under their
own covariance, the Gaussian conditioning rule (kriging; "Matheron's rule"):

    z ← z + Σ Wᵀ (W Σ Wᵀ)⁻¹ (s − g(z)),

Σ the correlation of the shocks (block-diagonal with the independent parameter normals), W the
sensitivity of the published series to z on the path (finite differences of the engine, which is
pure) and s the published values. For a model linear in z this is an exact draw from the
conditional distribution; the engine is close to linear in one year's shocks, so a few Newton
steps with the same W bring every path onto the published value. It is scale-free, so it holds
for the Student-t shocks too (a scale mixture of normals). Everything after the observed year is
then simulated from the path's conditioned state; the series the model links to the observed one
move with it (through the equations and through the correlation of the shocks), and the
parameters move as far as one year's data say about them.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .draws import Draws
from .engine import parameter_values, simulate
from .model.transforms import expit
from .errors import InputError
from .files import decode_utf8, read_bytes
from .metrics import CATALOGUE
from .provenance import inputs_of
from .units import conversion_factor

#: Finite-difference step of the standard normals.
STEP = 1e-4
#: Newton steps with the first sensitivity.
NEWTON_STEPS = 8
#: Largest relative gap to a published value that may be left on a path (a valid update leaves
#: under 1e-6): above it the model cannot show the value, which is then refused.
MAX_RELATIVE_MISS = 1e-2
#: What a published value of each summary scale can be (simulator/metrics.py): a level is positive,
#: a share lies strictly between 0 and 1 (the shares move on a logit scale), a year's growth rate
#: is above −100 % and below +100 %; ratios (the TFP contribution) are not bounded.
_ADMISSIBLE = {"log": (0.0, math.inf, "a positive level"), "unit": (0.0, 1.0, "a share strictly between 0 and 1"),
               "rate": (-1.0, 1.0, "a yearly rate strictly between −100 % and +100 %")}


@dataclass(frozen=True)
class Observation:
    """One published value: year, simulated series (engine unit), value (engine unit), and where
    it came from."""

    year: int
    metric: str
    value: float
    source: str
    line: int

    def to_dict(self) -> dict:
        return {"year": self.year, "metric": self.metric, "value": self.value, "unit": CATALOGUE[self.metric].unit,
                "source": self.source}


def _factor(unit: str, metric: str) -> float:
    """Factor from a file's unit to the engine's unit of ``metric``."""
    engine = CATALOGUE[metric].unit
    if unit == engine:
        return 1.0
    if unit.endswith("/yr") != engine.endswith("/yr"):  # a rate for a level or a level for a rate
        raise ValueError(f"{unit} and {engine} measure different things")
    try:
        return 1.0 / conversion_factor(engine, unit)
    except ValueError:
        return conversion_factor(unit, engine)


def load_observations(path: str | Path, *, years: np.ndarray) -> tuple[Observation, ...]:
    """Read a tidy CSV of published values (columns year, metric, value, unit, source).

    Raises
    ------
    InputError
        Naming the file and line of a missing column, an unknown or unsupported series, a year
        outside the simulated years after the base year, a value that is not a finite number, a
        unit that does not convert, or the same series and year twice.
    """
    path = Path(path)
    data = read_bytes(path, what="CSV of published values")
    text = decode_utf8(data[3:] if data.startswith(b"\xef\xbb\xbf") else data, file=path, what="CSV of published values")
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh)
        need = ["year", "metric", "value", "unit", "source"]
        header = reader.fieldnames or []
        missing = [c for c in need if c not in header]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; expected {', '.join(need)}, found "
                             f"{', '.join(header) or 'no header'}", file=path)
        twice = sorted({c for c in header if header.count(c) > 1})
        if twice:
            raise InputError(f"the header names {', '.join(twice)} twice", file=path)
        out, seen = [], set()
        for line, row in enumerate(reader, start=2):
            where = f"line {line}"
            if None in row:
                raise InputError(f"more fields than the header's {len(reader.fieldnames)}", file=path, key=where)
            metric = (row["metric"] or "").strip()
            if metric not in CATALOGUE:
                raise InputError(f"'{metric}' is not a core series the engine can condition on "
                                 "(simulator/metrics.py, CATALOGUE)", file=path, key=where)
            try:
                year, value = int(row["year"]), float(row["value"])
            except (TypeError, ValueError):
                raise InputError(f"year and value must be numbers, got {row['year']!r}, {row['value']!r}",
                                 file=path, key=where) from None
            if not math.isfinite(value):
                raise InputError("value must be a finite number", file=path, key=where)
            if not years[0] < year <= years[-1]:
                raise InputError(f"year {year} is not a simulated year after the base ({years[1]}–{years[-1]})",
                                 file=path, key=where)
            try:
                value *= _factor((row["unit"] or "").strip(), metric)
            except ValueError:
                raise InputError(f"unit {row['unit']!r} does not convert to {metric}'s {CATALOGUE[metric].unit!r}",
                                 file=path, key=where) from None
            low, high, what = _ADMISSIBLE.get(CATALOGUE[metric].scale, (-math.inf, math.inf, ""))
            if not low < value < high:
                raise InputError(f"{metric} = {value:g} ({CATALOGUE[metric].unit}, after the unit conversion) is not "
                                 f"{what}: check the value and its unit", file=path, key=where)
            if (year, metric) in seen:
                raise InputError(f"{metric} {year} is given twice", file=path, key=where)
            seen.add((year, metric))
            if not (row["source"] or "").strip():
                raise InputError("every published value needs its source", file=path, key=where)
            out.append(Observation(year, metric, value, row["source"].strip(), line))
    if not out:
        raise InputError("no observations", file=path)
    return tuple(sorted(out, key=lambda o: (o.year, o.metric)))


def culprit(inputs, observations: tuple[Observation, ...], *, paths: int = 256
            ) -> tuple[tuple[Observation, ...], float] | None:
    """The published values the conditioning cannot bring the run's first ``paths`` paths onto
    (largest relative gap left above :data:`MAX_RELATIVE_MISS`), or None when they all can: the
    single value that fails worst; if each alone can be shown, the pair that fails worst together
    (a level and its growth in one year that do not agree); else all of them, with the gap."""
    from itertools import combinations

    from .draws import chunks, draw

    drawn = draw(inputs.contract, chunks(paths, inputs.contract.block_size, paths)[0])
    levers = inputs.levers.for_paths(0, drawn.n_paths)

    def gap(values: tuple[Observation, ...]) -> float:
        return condition(inputs, drawn, levers, values)[1]

    together = gap(observations)
    if together <= MAX_RELATIVE_MISS:
        return None
    for size in (1, 2):
        if size >= len(observations):
            break
        failing = [(group, g) for group in combinations(observations, size) if (g := gap(group)) > MAX_RELATIVE_MISS]
        if failing:
            return max(failing, key=lambda pair: pair[1])
    return observations, together


def show_published(series: dict[str, np.ndarray], observations: tuple[Observation, ...], *, base_year: int) -> None:
    """Put the published values themselves into the conditioned paths' cells (in place). The
    conditioning leaves each path within about 1e-9 of them; a target judged on exactly that
    cell (a level equal to its threshold) must not be decided by that rounding."""
    for o in observations:
        series[o.metric][:, o.year - base_year] = o.value


def _parameters_of(inputs, observations) -> list[int]:
    """Rows of the drawn primitives the observed series rest on that are conditioned too: the
    levels, drifts and trends (what one year's value says most about). Shock scales and
    persistences enter the year's value multiplied by a shock, which would make the constraint
    far from linear; they keep their draws."""
    names = set()
    for o in observations:
        names |= inputs_of(o.metric)
    return [row for row, name in enumerate(inputs.contract.parameters)
            if name in names and not _is_scale(name) and "disaster" not in name]


def _is_scale(name: str) -> bool:
    """A shock scale or a persistence (``…_sd``, ``…_sd_agri`` or ``structure.sd_agri``; ``…persistence``)."""
    last = name.rsplit(".", 1)[-1]
    return last.startswith("sd_") or "_sd" in last or last.endswith("persistence")


def _observed(inputs, drawn: Draws, levers, observations) -> np.ndarray:
    series = simulate(inputs, drawn, levers).series
    base_year = int(inputs.years[0])
    return np.stack([series[o.metric][:, o.year - base_year] for o in observations])  # (m, paths)


def _moved(drawn: Draws, year_index: int, rows: list[int], dz: np.ndarray) -> Draws:
    """Draws with the year's shocks and some parameter normals moved by dz (k + q, paths)."""
    k = drawn.shocks.shape[0]
    shocks = drawn.shocks.copy()
    shocks[:, year_index] += dz[:k]
    parameters = drawn.parameters.copy()
    if rows:
        parameters[rows] += dz[k:]
    return replace(drawn, shocks=shocks, parameters=parameters)


def _with_disaster(drawn: Draws, year_index: int, disaster: np.ndarray) -> Draws:
    """Draws whose year has a disaster exactly on the ``disaster`` paths (the engine's test is
    uniform < probability: 0 passes it wherever the probability is positive, 1 never does)."""
    uniform = drawn.disaster_uniform.copy()
    uniform[year_index] = np.where(disaster, 0.0, 1.0)
    return replace(drawn, disaster_uniform=uniform)


def _straightened(values: np.ndarray, scales: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Observed values (m, paths) on the scale on which the model is close to linear in its
    normals (the log of a level, log(1 + r) of a rate, the logit of a share), and the derivative
    of that map at the values."""
    out, slope = np.empty_like(values), np.empty_like(values)
    for i, scale in enumerate(scales):
        v = values[i]
        if scale == "log":
            out[i], slope[i] = np.log(v), 1.0 / v
        elif scale == "rate":
            out[i], slope[i] = np.log1p(v), 1.0 / (1.0 + v)
        elif scale == "unit":
            out[i], slope[i] = np.log(v) - np.log1p(-v), 1.0 / (v * (1.0 - v))
        else:
            out[i], slope[i] = v, 1.0
    return out, slope


def _disaster_given(inputs, drawn: Draws, levers, these, index: int, rows: list[int], target: np.ndarray,
                    now: np.ndarray, jac: np.ndarray, sigma: np.ndarray) -> tuple[Draws, np.ndarray]:
    """The year's disaster drawn again from its posterior given the published values: (draws with
    it, the observed values under it).

    On a path, with everything but the year's conditioned normals z fixed, the published values s,
    each on the scale that makes the model nearly linear (:func:`_straightened`: a growth rate's
    log(1 + r), a level's log), are close to Gaussian around g_d(0) ≈ g_d(z) − W·z with variance
    W Σ Wᵀ under either state d (a disaster or none), so P(d = 1 | s) = p·N₁ / (p·N₁ + (1 − p)·N₀),
    p the path's disaster probability. The path's own uniform decides against it, so the draw stays the path's and a
    published value that no shock need explain leaves it as drawn. Without this a path that drew a
    disaster would show, say, median growth through shocks of four to five standard deviations."""
    none, hit = (_with_disaster(drawn, index, np.full(drawn.n_paths, d)) for d in (False, True))
    observed = [_observed(inputs, state, levers, these) for state in (none, hit)]
    scales = [CATALOGUE[o.metric].scale for o in these]
    _, slope = _straightened(now, scales)
    w = jac * slope[:, None, :]  # W on the straightened scale, (m, k + q, paths)
    inner = np.einsum("mjp,ji,nip->pmn", w, sigma, w)  # W Σ Wᵀ, (paths, m, m)
    z = np.concatenate([drawn.shocks[:, index], drawn.parameters[rows]])  # (k + q, paths)
    linear = np.einsum("mjp,jp->mp", w, z)
    goal = _straightened(np.broadcast_to(target, now.shape), scales)[0]
    ridge = 1e-12 * np.eye(len(these))
    log_likelihood = []
    for values in observed:
        r = (goal - (_straightened(values, scales)[0] - linear)).T[:, :, None]  # (paths, m, 1)
        log_likelihood.append(-0.5 * (r.transpose(0, 2, 1) @ np.linalg.solve(inner + ridge, r))[:, 0, 0])
    probability = np.asarray(parameter_values(inputs, drawn)["production.disaster_probability"], dtype=float)
    probability = np.broadcast_to(probability, (drawn.n_paths,))
    with np.errstate(divide="ignore"):
        log_odds = np.log(probability) - np.log1p(-probability) + log_likelihood[1] - log_likelihood[0]
    disaster = drawn.disaster_uniform[index] < expit(log_odds)
    return _with_disaster(drawn, index, disaster), np.where(disaster, observed[1], observed[0])


def condition(inputs, drawn: Draws, levers, observations: tuple[Observation, ...]) -> tuple[Draws, float]:
    """The draws moved onto the published values, year by year; and the largest relative miss left.

    Each year's disaster is drawn again from its posterior given the published values
    (:func:`_disaster_given`) before the year's normals move.

    Parameters
    ----------
    inputs : Inputs
    drawn : Draws
        A chunk's raw draws.
    levers : ResolvedLevers
        The variant's levers for these paths.
    observations : tuple of Observation
    """
    base_year = int(inputs.years[0])
    correlation = np.asarray(inputs.contract.correlation)
    worst = 0.0
    for year in sorted({o.year for o in observations}):
        # the year's values, and the earlier ones again: the parameters moved now affect them too
        these = [o for o in observations if o.year <= year]
        index = year - base_year - 1
        rows = _parameters_of(inputs, these)
        k, q = correlation.shape[0], len(rows)
        sigma = np.zeros((k + q, k + q))
        sigma[:k, :k], sigma[k:, k:] = correlation, np.eye(q)
        target = np.array([o.value for o in these])[:, None]
        now = _observed(inputs, drawn, levers, these)
        jac = np.empty((len(these), k + q, drawn.n_paths))  # W, per path
        for j in range(k + q):
            bump = np.zeros((k + q, 1))
            bump[j] = STEP
            jac[:, j] = (_observed(inputs, _moved(drawn, index, rows, bump), levers, these) - now) / STEP
        gain = np.einsum("ij,mjp->pim", sigma, jac)  # Σ Wᵀ, (paths, k + q, m)
        inner = np.einsum("mjp,pjn->pmn", jac, gain)  # W Σ Wᵀ, (paths, m, m)
        if inputs.volatility_scale > 0:
            drawn, now = _disaster_given(inputs, drawn, levers, these, index, rows, target, now, jac, sigma)
        for _ in range(NEWTON_STEPS):
            gap = (target - now).T[:, :, None]  # (paths, m, 1)
            ridge = 1e-12 * np.eye(len(these))  # a value no shock moves on a path (a cap) stays unconstrained there
            dz = np.einsum("pjm,pmn->pjn", gain, np.linalg.solve(inner + ridge, gap))[:, :, 0].T
            drawn = _moved(drawn, index, rows, dz)
            now = _observed(inputs, drawn, levers, these)
        worst = max(worst, float(np.max(np.abs(now - target) / np.maximum(np.abs(target), 1e-12))))
    return drawn, worst
