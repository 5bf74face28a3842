"""Scenario discovery: which per-path drivers separate the paths that hit a target from those that miss.

Drivers of a path are what it drew and what happened on it: every primitive drawn per path, the
quantities derived from them (K/Y, trend TFP growth), and four summaries of its shocks — the
mean standardised TFP shock, the mean realised investment share, whether a disaster year
occurred, the mean deflator inflation, all over the simulated years. Only the drivers a target's
series rests on (:func:`simulator.provenance.inputs_of`) are offered to it, so a box never leans
on an input that cannot move the target.

Boxes come from PRIM (the patient rule induction method, Friedman & Fisher 1999,
doi:10.1023/A:1008894516817; the method of the scenario-discovery literature, Bryant & Lempert
2010, doi:10.1016/j.techfore.2009.08.002), implemented here as a small pure function:
:func:`peel` removes, one step at a time, the slice of a driver's range (at most ``alpha`` of the
paths in the box, or one tied value) whose removal raises the hit rate in the box most per path
removed, until the box holds ``min_mass`` of the paths. The box shown is the densest on that
trajectory that still holds ``min_coverage`` of the hits; restrictions that add little density are
then dropped (:func:`prune`) so that a box reads as a sentence. Why not a library: the EMA
Workbench's PRIM brings an interactive analysis stack (its dependencies include SALib, seaborn,
ipyparallel, …) for what is about a hundred lines here; a decision tree from scikit-learn would be
a 9 MB dependency whose leaves are not boxes with coverage and density.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .draws import Draws
from .engine import Outcomes
from .inputs import Inputs
from .parameters import DERIVED, SHOCKS
from .provenance import inputs_of

#: Summaries of a path's shocks: name -> (unit, the calibration entry whose presence makes it relevant).
PATH_DRIVERS: dict[str, tuple[str, str]] = {
    "path.tfp_shock_mean": ("sd", "production.tfp_growth_sd"),
    "path.investment_share_mean": ("share", "production.investment_realisation_sd"),
    "path.disaster_year": ("0/1", "production.disaster_probability"),
    "path.deflator_growth_mean": ("share/yr", "prices.deflator_growth_sd"),
}


#: Units of the derived quantities offered as drivers.
DERIVED_UNITS = {"production.capital_output_ratio": "years of GRDP", "production.tfp_growth_mean": "share/yr",
                 "production.tfp_growth_initial": "share/yr"}


def driver_units(inputs: Inputs) -> dict[str, str]:
    """The unit of every driver :func:`drivers` gives."""
    units = {name: inputs.calibration.parameters[name].unit for name in inputs.contract.parameters}
    units.update({f"sat.{name}": inputs.satellites.entry(name).unit for name in inputs.contract.satellite_parameters})
    units.update(DERIVED_UNITS)
    units.update({name: unit for name, (unit, _) in PATH_DRIVERS.items()})
    return units


def drivers(inputs: Inputs, outcomes: Outcomes, draws: Draws) -> dict[str, np.ndarray]:
    """Every candidate driver of every path: name -> (paths,)."""
    n = draws.n_paths
    p = outcomes.parameters
    out = {name: np.asarray(p[name], dtype=float) for name in inputs.contract.parameters}
    out.update({f"sat.{name}": np.asarray(p[f"sat.{name}"], dtype=float) for name in inputs.contract.satellite_parameters})
    out.update({name: np.broadcast_to(np.asarray(p[name], dtype=float), (n,)).copy() for name in DERIVED if name in p
                and np.ndim(p[name])})
    out["path.tfp_shock_mean"] = draws.shocks[SHOCKS.index("tfp")].mean(axis=0)
    out["path.investment_share_mean"] = outcomes.series["investment_share"][:, 1:].mean(axis=1)
    if inputs.volatility_scale > 0:
        disaster = draws.disaster_uniform < p["production.disaster_probability"]
        out["path.disaster_year"] = disaster.any(axis=0).astype(float)
    else:
        out["path.disaster_year"] = np.zeros(n)
    out["path.deflator_growth_mean"] = outcomes.series["deflator_growth"][:, 1:].mean(axis=1)
    return out


def relevant(metric: str, candidates) -> list[str]:
    """The candidate drivers a series rests on, in the candidates' order."""
    rests_on = inputs_of(metric)
    return [name for name in candidates if name in rests_on
            or (name in PATH_DRIVERS and PATH_DRIVERS[name][1] in rests_on)]


@dataclass(frozen=True)
class Restriction:
    """driver ≥ lower and/or driver ≤ upper (None where open)."""

    driver: str
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class Box:
    """A box of driver ranges where a target is hit more often than overall.

    Attributes
    ----------
    target : str
    restrictions : tuple of Restriction
    density : float
        Share of the paths in the box that hit the target.
    coverage : float
        Share of all hits that fall in the box.
    mass : float
        Share of all paths in the box.
    base_rate : float
        P(hit) over all paths.
    paths, hits : int
    units : dict driver -> unit
    """

    target: str
    restrictions: tuple[Restriction, ...]
    density: float
    coverage: float
    mass: float
    base_rate: float
    paths: int
    hits: int
    units: dict

    @property
    def lift(self) -> float:
        return self.density / self.base_rate if self.base_rate > 0 else float("nan")

    def text(self, *, words: dict | None = None, name: str | None = None) -> str:
        """"1c is hit on 21 % of paths where production.trend_growth ≥ 7.4 %/yr and …; coverage …"."""
        w = words or _ENGLISH
        where = f" {w['and']} ".join(describe(r, self.units.get(r.driver, ""), w) for r in self.restrictions)
        return w["box"].format(target=name or self.target, density=_pct(self.density, w), where=where or w["anywhere"],
                               coverage=_num(self.coverage, w), density_number=_num(self.density, w),
                               base=_num(self.base_rate, w), mass=_num(self.mass, w))

    def to_dict(self) -> dict:
        return {"target": self.target, "density": self.density, "coverage": self.coverage, "mass": self.mass,
                "base_rate": self.base_rate, "lift": self.lift, "paths": self.paths, "hits": self.hits,
                "restrictions": [{"driver": r.driver, "unit": self.units.get(r.driver, ""), "lower": r.lower,
                                  "upper": r.upper} for r in self.restrictions], "text": self.text()}


_ENGLISH = {
    "box": "{target} is hit on {density} of paths where {where}; coverage {coverage}, density {density_number} "
           "(against {base} on all paths), mass {mass}",
    "and": "and", "anywhere": "anywhere", "disaster": "a disaster year occurred", "no_disaster": "no disaster year",
    "decimal_mark": ".", "thousands_separator": ",",
    "drivers": {"path.tfp_shock_mean": "mean TFP shock", "path.investment_share_mean": "mean realised investment share",
                "path.deflator_growth_mean": "mean deflator inflation"},
}


def _num(x: float, w: dict) -> str:
    return f"{x:.2f}".replace(".", w["decimal_mark"])


def _pct(x: float, w: dict) -> str:
    return f"{100 * x:.0f} %"


def format_value(x: float, unit: str, w: dict | None = None) -> str:
    """A driver value in its unit, percent at the edge: 0.0745 share/yr → "7.45 %/yr"."""
    w = w or _ENGLISH
    if abs(x) >= 1000 and unit not in ("share", "share/yr"):
        return f"{x:,.0f} {unit}".strip().translate(str.maketrans({",": w.get("thousands_separator", ","),
                                                                   ".": w["decimal_mark"]}))
    if unit == "share":
        text = f"{100 * x:.3g} %"
    elif unit == "share/yr":
        text = f"{100 * x:.3g} %/yr"
    elif unit in ("sd", ""):
        text = f"{x:.3g}" + (f" {unit}" if unit else "")
    else:
        text = f"{x:.3g} {unit}"
    return text.replace(".", w["decimal_mark"])


def describe(r: Restriction, unit: str, w: dict) -> str:
    """One restriction as words."""
    name = w.get("drivers", {}).get(r.driver, r.driver)
    if r.driver == "path.disaster_year":
        return w["no_disaster"] if r.upper is not None and r.upper < 1 else w["disaster"]
    if r.lower is not None and r.upper is not None:
        return f"{format_value(r.lower, unit, w)} ≤ {name} ≤ {format_value(r.upper, unit, w)}"
    if r.lower is not None:
        return f"{name} ≥ {format_value(r.lower, unit, w)}"
    return f"{name} ≤ {format_value(r.upper, unit, w)}"


@dataclass(frozen=True)
class Peel:
    """The peeling trajectory: boxes (steps, k) of lower and upper bounds, with their statistics."""

    lower: np.ndarray
    upper: np.ndarray
    density: np.ndarray
    coverage: np.ndarray
    mass: np.ndarray


def _inside(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.all((x >= lower) & (x <= upper), axis=1)


def peel(x: np.ndarray, y: np.ndarray, *, alpha: float = 0.05, min_mass: float = 0.05) -> Peel:
    """PRIM's peeling trajectory of x (paths, k) for hits y (paths,) bool.

    Each step, for every driver, the low and the high slice of the box's paths are candidates (the
    paths below the ``alpha`` quantile, or at the lowest value when it is tied beyond it; the same
    at the top); the one that raises the box's hit rate most per removed path is peeled. Stops
    when no peel raises the rate or the box would hold fewer than ``min_mass`` of the paths.
    """
    n, k = x.shape
    y = np.asarray(y, dtype=float)
    total_hits = y.sum()
    lower, upper = np.full(k, -np.inf), np.full(k, np.inf)
    inside = np.ones(n, dtype=bool)
    steps = [(lower.copy(), upper.copy(), inside.sum(), y.sum())]
    while True:
        xin, yin = x[inside], y[inside]
        m, hits = yin.size, yin.sum()
        if m == 0:
            break
        rate = hits / m
        cut = max(1, int(alpha * m))
        best = None
        for j in range(k):
            column = xin[:, j]
            ordered = np.partition(column, (cut, m - 1 - cut)) if m > 2 * cut + 1 else np.sort(column)
            for side in (0, 1):
                if side == 0:
                    edge = ordered[min(cut, m - 1)]
                    remove = column < edge
                    if not remove.any():
                        remove = column <= edge
                else:
                    edge = ordered[max(m - 1 - cut, 0)]
                    remove = column > edge
                    if not remove.any():
                        remove = column >= edge
                removed = int(remove.sum())
                if removed == 0 or removed == m or m - removed < min_mass * n:
                    continue
                gain = ((hits - yin[remove].sum()) / (m - removed) - rate) / removed
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, j, side, remove)
        if best is None:
            break
        _, j, side, remove = best
        kept = xin[~remove, j]
        # a peel only tightens one bound, so the new box is the old one cut on that driver
        if side == 0:
            lower[j] = kept.min()
            inside &= x[:, j] >= lower[j]
        else:
            upper[j] = kept.max()
            inside &= x[:, j] <= upper[j]
        steps.append((lower.copy(), upper.copy(), inside.sum(), y[inside].sum()))
    lows, highs, counts, hit_counts = (np.array(v) for v in zip(*steps))
    with np.errstate(invalid="ignore", divide="ignore"):
        return Peel(lows, highs, hit_counts / counts, hit_counts / total_hits if total_hits else hit_counts * 0.0,
                    counts / n)


def prune(x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, tolerance: float = 0.1,
          max_restrictions: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Drop restrictions that add little: while the loosest one costs less than ``tolerance`` of the
    box's lift over the base rate (or more than ``max_restrictions`` remain), remove it."""
    lower, upper = lower.copy(), upper.copy()
    y = np.asarray(y, dtype=float)
    base = y.mean()

    def density(lo, hi):
        inside = _inside(x, lo, hi)
        return y[inside].mean() if inside.any() else 0.0

    while True:
        restricted = [j for j in range(x.shape[1]) if np.isfinite(lower[j]) or np.isfinite(upper[j])]
        if not restricted:
            break
        current = density(lower, upper)
        losses = []
        for j in restricted:
            lo, hi = lower.copy(), upper.copy()
            lo[j], hi[j] = -np.inf, np.inf
            losses.append((current - density(lo, hi), j))
        loss, j = min(losses)
        if loss < tolerance * max(current - base, 0.0) or len(restricted) > max_restrictions:
            lower[j], upper[j] = -np.inf, np.inf
        else:
            break
    return lower, upper


def discover_box(x: np.ndarray, y: np.ndarray, names: list[str], *, target: str, units: dict, alpha: float = 0.05,
                 min_mass: float = 0.05, min_coverage: float = 0.5, max_restrictions: int = 4) -> Box:
    """The box of one target: peel, take the densest box holding ``min_coverage`` of the hits, prune."""
    y = np.asarray(y, dtype=bool)
    trajectory = peel(x, y, alpha=alpha, min_mass=min_mass)
    eligible = np.flatnonzero(trajectory.coverage >= min_coverage)
    step = int(eligible[np.argmax(trajectory.density[eligible])]) if eligible.size else 0
    lower, upper = prune(x, y, trajectory.lower[step], trajectory.upper[step], max_restrictions=max_restrictions)
    inside = _inside(x, lower, upper)
    hits_in, total = int(y[inside].sum()), int(y.sum())
    restrictions = tuple(Restriction(names[j], float(lower[j]) if np.isfinite(lower[j]) else None,
                                     float(upper[j]) if np.isfinite(upper[j]) else None)
                         for j in range(len(names)) if np.isfinite(lower[j]) or np.isfinite(upper[j]))
    return Box(target, restrictions, hits_in / max(int(inside.sum()), 1), hits_in / total if total else 0.0,
               float(inside.mean()), float(y.mean()), len(y), total, dict(units))


def boxes_frame(boxes) -> pd.DataFrame:
    """One row per box and restriction (a box without restriction gets one row)."""
    rows = []
    for b in boxes:
        common = {"id": b.target, "density": b.density, "coverage": b.coverage, "mass": b.mass,
                  "base_rate": b.base_rate, "lift": b.lift, "paths": b.paths, "hits": b.hits, "text": b.text()}
        for r in b.restrictions or (Restriction("", None, None),):
            rows.append({**common, "driver": r.driver, "unit": b.units.get(r.driver, ""), "lower": r.lower,
                         "upper": r.upper})
    return pd.DataFrame(rows)
