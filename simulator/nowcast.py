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
from .metrics import CATALOGUE, SERIES
from .provenance import inputs_of
from .units import conversion_factor, convertible_units

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
        return {"year": self.year, "metric": self.metric, "value": self.value, "unit": SERIES[self.metric].unit,
                "source": self.source}


def accepted_units(metric: str) -> list[str]:
    """The units a published value of ``metric`` may be given in (its engine unit first)."""
    engine = SERIES[metric].unit
    out = [engine]
    for unit in convertible_units(engine):
        try:
            _factor(unit, metric)
        except ValueError:  # a rate's unit for a level, or the other way round
            continue
        out.append(unit)
    return out


def _factor(unit: str, metric: str) -> float:
    """Factor from a file's unit to the engine's unit of ``metric``."""
    engine = SERIES[metric].unit
    if unit == engine:
        return 1.0
    if unit.endswith("/yr") != engine.endswith("/yr"):  # a rate for a level or a level for a rate
        raise ValueError(f"{unit} and {engine} measure different things")
    try:
        return 1.0 / conversion_factor(engine, unit)
    except ValueError:
        return conversion_factor(unit, engine)


#: Satellite series drawn as over-dispersed counts (gamma–Poisson, not normals): no value of theirs
#: can be put on a path by moving normals.
COUNT_SERIES = ("patent_applications_and_grants_count", "social_housing_completed_dwellings")


def load_observations(path: str | Path, *, years: np.ndarray, satellites: bool = False) -> tuple[Observation, ...]:
    """Read a tidy CSV of published values (columns year, metric, value, unit, source): core series,
    and with ``satellites`` (the scenario runs the satellite models) theirs too, counts apart.

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
    with io.StringIO(_without_comments(text), newline="") as fh:
        reader = csv.reader(fh)
        header = next((r for r in reader if r), [])  # the header may follow comment or blank lines
        need = ["year", "metric", "value", "unit", "source"]
        missing = [c for c in need if c not in header]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; expected {', '.join(need)}, found "
                             f"{', '.join(header) or 'no header'}", file=path)
        twice = sorted({c for c in header if header.count(c) > 1})
        if twice:
            raise InputError(f"the header names {', '.join(twice)} twice", file=path)
        out, seen = [], set()
        end = reader.line_num
        for fields in reader:
            line, end = end + 1, reader.line_num  # the row's first line in the file, comments counted
            if not fields:  # a blank or comment line
                continue
            where = f"line {line}"
            if len(fields) > len(header):
                raise InputError(f"more fields than the header's {len(header)}", file=path, key=where)
            row = dict(zip(header, fields))
            row.update((c, None) for c in header[len(fields):])
            metric = (row["metric"] or "").strip()
            if metric in COUNT_SERIES:
                raise InputError(f"'{metric}' is drawn as a count (gamma–Poisson), which the conditioning cannot "
                                 "move onto a value", file=path, key=where)
            if metric not in (SERIES if satellites else CATALOGUE):
                which = "series" if satellites else "core series (the scenario runs no satellite models)"
                raise InputError(f"'{metric}' is not a {which} the engine can condition on (simulator/metrics.py)",
                                 file=path, key=where)
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
                raise InputError(f"unit {row['unit']!r} does not convert to {metric}'s {SERIES[metric].unit!r} "
                                 f"(give it in {' or '.join(repr(u) for u in accepted_units(metric))})",
                                 file=path, key=where) from None
            low, high, what = _ADMISSIBLE.get(SERIES[metric].scale, (-math.inf, math.inf, ""))
            if not low < value < high:
                raise InputError(f"{metric} = {value:g} ({SERIES[metric].unit}, after the unit conversion) is not "
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


def _without_comments(text: str) -> str:
    """The CSV text with each comment line (first non-blank character '#', outside a quoted
    field) left empty, so that the reader skips it and line numbers stay the file's own."""
    lines, quoted = [], False
    for line in text.splitlines(keepends=True):
        comment = not quoted and line.lstrip().startswith("#")
        lines.append("\n" if comment else line)
        if not comment and line.count('"') % 2:  # an odd count of quotes opens or closes a field
            quoted = not quoted
    return "".join(lines)


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


def _rested_on(observations) -> set[str]:
    """Every input the observed series rest on (:func:`simulator.provenance.inputs_of`)."""
    return set().union(*(inputs_of(o.metric) for o in observations))


def _parameters_of(inputs, observations) -> list[int]:
    """Rows of the drawn primitives the observed series rest on that are conditioned too: the
    levels, drifts and trends (what one year's value says most about). Shock scales and
    persistences enter the year's value multiplied by a shock, which would make the constraint
    far from linear; they keep their draws."""
    names = _rested_on(observations)
    return [row for row, name in enumerate(inputs.contract.parameters)
            if name in names and not _is_scale(name) and "disaster" not in name]


def _satellite_parameters_of(inputs, observations) -> list[int]:
    """The same for the satellites' drawn primitives (``sat.<name>`` in the dependency graph)."""
    names = _rested_on(observations)
    return [row for row, name in enumerate(inputs.contract.satellite_parameters)
            if f"sat.{name}" in names and not _is_scale(name)]


@dataclass(frozen=True)
class _Layout:
    """Which normals of a year a conditioning moves, in the order of z: the core shocks (k, their
    correlation), the satellite shocks (independent; all of them when a satellite series is
    observed, else none), the core parameter rows and the satellite parameter rows."""

    k: int
    satellite_shocks: int
    rows: list[int]
    satellite_rows: list[int]

    @property
    def size(self) -> int:
        return self.k + self.satellite_shocks + len(self.rows) + len(self.satellite_rows)

    def sigma(self, correlation: np.ndarray) -> np.ndarray:
        sigma = np.eye(self.size)
        sigma[:self.k, :self.k] = correlation
        return sigma

    def normals(self, drawn: Draws, year_index: int) -> np.ndarray:
        """z (size, paths) of the year on these draws."""
        parts = [drawn.shocks[:, year_index]]
        if self.satellite_shocks:
            parts.append(drawn.satellite_shocks[:, year_index])
        return np.concatenate(parts + [drawn.parameters[self.rows], drawn.satellite_parameters[self.satellite_rows]])

    def moved(self, drawn: Draws, year_index: int, dz: np.ndarray) -> Draws:
        """Draws with z moved by dz (size, paths)."""
        cuts = np.cumsum([self.k, self.satellite_shocks, len(self.rows)])
        d_shock, d_satellite, d_rows, d_satellite_rows = np.split(dz, cuts)
        shocks = drawn.shocks.copy()
        shocks[:, year_index] += d_shock
        changed = {"shocks": shocks}
        if self.satellite_shocks:
            satellite = drawn.satellite_shocks.copy()
            satellite[:, year_index] += d_satellite
            changed["satellite_shocks"] = satellite
        if self.rows:
            parameters = drawn.parameters.copy()
            parameters[self.rows] += d_rows
            changed["parameters"] = parameters
        if self.satellite_rows:
            parameters = drawn.satellite_parameters.copy()
            parameters[self.satellite_rows] += d_satellite_rows
            changed["satellite_parameters"] = parameters
        return replace(drawn, **changed)


def _layout(inputs, drawn: Draws, observations) -> _Layout:
    satellite = any(o.metric not in CATALOGUE for o in observations)
    return _Layout(k=drawn.shocks.shape[0], satellite_shocks=drawn.satellite_shocks.shape[0] if satellite else 0,
                   rows=_parameters_of(inputs, observations),
                   satellite_rows=_satellite_parameters_of(inputs, observations) if satellite else [])


def _is_scale(name: str) -> bool:
    """A shock scale or a persistence (``…_sd``, ``…_sd_agri`` or ``structure.sd_agri``; ``…persistence``)."""
    last = name.rsplit(".", 1)[-1]
    return last.startswith("sd_") or "_sd" in last or last.endswith("persistence")


def _observed(inputs, drawn: Draws, levers, observations) -> np.ndarray:
    series = simulate(inputs, drawn, levers).series
    base_year = int(inputs.years[0])
    return np.stack([series[o.metric][:, o.year - base_year] for o in observations])  # (m, paths)


#: Paths on which :func:`_felt` tries each normal.
PROBE_PATHS = 4


def _felt(inputs, drawn: Draws, levers, these, index: int, layout: _Layout) -> np.ndarray:
    """Which of the year's normals z the observed values rest on at all, (size,) bool.

    A normal set to NaN on a few paths turns every value computed from it into NaN (the
    equations propagate NaN through every operation, their caps included), so the others have an
    exactly zero column in W: their finite differences, which would take a model evaluation each
    on every path (half of the core's shocks for a growth rate, most of the satellites' for one
    satellite series), are not computed. W and so every number are the same."""
    few = np.arange(min(PROBE_PATHS, drawn.n_paths))
    drawn_few, levers_few = drawn.take(few), levers.for_paths(0, few.size)
    with np.errstate(all="ignore"):
        undefined = np.isnan(_observed(inputs, drawn_few, levers_few, these))
        felt = np.empty(layout.size, dtype=bool)
        for j in range(layout.size):
            poison = np.zeros((layout.size, 1))
            poison[j] = np.nan
            after = _observed(inputs, layout.moved(drawn_few, index, poison), levers_few, these)
            felt[j] = bool(np.any(np.isnan(after) & ~undefined))
    return felt


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
            v = np.clip(v, 1e-12, 1.0 - 1e-12)  # a capped share (employment per inhabitant at 1) stays finite
            out[i], slope[i] = np.log(v) - np.log1p(-v), 1.0 / (v * (1.0 - v))
        else:
            out[i], slope[i] = v, 1.0
    return out, slope


def _disaster_given(inputs, drawn: Draws, levers, these, index: int, layout: _Layout, target: np.ndarray,
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
    scales = [SERIES[o.metric].scale for o in these]
    _, slope = _straightened(now, scales)
    w = jac * slope[:, None, :]  # W on the straightened scale, (m, size, paths)
    inner = np.einsum("mjp,ji,nip->pmn", w, sigma, w)  # W Σ Wᵀ, (paths, m, m)
    linear = np.einsum("mjp,jp->mp", w, layout.normals(drawn, index))
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
        layout = _layout(inputs, drawn, these)
        sigma = layout.sigma(correlation)
        target = np.array([o.value for o in these])[:, None]
        now = _observed(inputs, drawn, levers, these)
        jac = np.zeros((len(these), layout.size, drawn.n_paths))  # W, per path
        for j in np.flatnonzero(_felt(inputs, drawn, levers, these, index, layout)):
            bump = np.zeros((layout.size, 1))
            bump[j] = STEP
            jac[:, j] = (_observed(inputs, layout.moved(drawn, index, bump), levers, these) - now) / STEP
        if inputs.volatility_scale > 0:
            drawn, now = _disaster_given(inputs, drawn, levers, these, index, layout, target, now, jac, sigma)
        # the steps on the straightened scale (a level's log, a share's logit), on which the
        # model's equations are nearly linear in z: the same point of the constraint (the steps
        # stay in the span of Σ Wᵀ either way), reached in fewer steps (a poverty rate a fifth
        # below its path's missed by 1 % after 8 steps on its own scale)
        scales = [SERIES[o.metric].scale for o in these]
        straight, slope = _straightened(now, scales)
        w = jac * slope[:, None, :]
        gain = np.einsum("ij,mjp->pim", sigma, w)  # Σ Wᵀ, (paths, size, m)
        inner = np.einsum("mjp,pjn->pmn", w, gain)  # W Σ Wᵀ, (paths, m, m)
        goal = _straightened(np.broadcast_to(target, now.shape), scales)[0]
        for _ in range(NEWTON_STEPS):
            gap = (goal - straight).T[:, :, None]  # (paths, m, 1)
            ridge = 1e-12 * np.eye(len(these))  # a value no shock moves on a path (a cap) stays unconstrained there
            dz = np.einsum("pjm,pmn->pjn", gain, np.linalg.solve(inner + ridge, gap))[:, :, 0].T
            drawn = layout.moved(drawn, index, dz)
            now = _observed(inputs, drawn, levers, these)
            straight = _straightened(now, scales)[0]
        worst = max(worst, float(np.max(np.abs(now - target) / np.maximum(np.abs(target), 1e-12))))
    return drawn, worst
