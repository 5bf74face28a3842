"""Policy levers: what planners control, each entering the model where its effect is.

A lever is stated in every scenario: one number for every simulated year, a path of one number
per year (a ramp), or, from the Python API, an array per path. Its neutral value continues the
calibrated history, so "no lever" is a stated lever, not a different treatment of risk: what is
uncertain about a lever (how much of a planned share is realised) is an uncertainty every
variant carries on the same draws (:mod:`simulator.engine`).

``investment_share`` is a level and may say ``"historical"``: it then resolves to the
calibration's historical share ``production.investment_share_mean``, the entry it overrides. Every
other lever is a change against the historical trend, 0 (or 1 for a realisation rate) meaning
"as history".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

HISTORICAL = "historical"


@dataclass(frozen=True)
class LeverSpec:
    """One lever: unit, admissible range, neutral value and where it enters the model.

    ``replaces`` names the calibration entry the lever stands in for when set to "historical"
    (its provenance); ``enters`` says, for the documentation, which equation it moves.
    """

    unit: str
    lower: float
    upper: float
    neutral: float | str
    enters: str
    replaces: str | None = None


LEVERS: dict[str, LeverSpec] = {
    "investment_share": LeverSpec(
        "share", 0.0, 1.0, HISTORICAL,
        "capital accumulation: realised investment share s_t = lever × realisation × r × yearly noise, "
        "r the path's historical share over the calibrated one (LTGM, Loayza & Pennings 2018)",
        replaces="production.investment_share_mean"),
    "investment_realisation": LeverSpec(
        "share of plan", 0.0, 1.5, 1.0,
        "multiplies the planned investment share: the part of the plan disbursed and built (target 8); "
        "1 = plans realised as in the calibration years"),
    "tfp_growth_boost": LeverSpec(
        "share/yr", -0.1, 0.1, 0.0,
        "TFP growth: the AR(1) centre μ_A + boost (reform, innovation, digital transformation)"),
    "employment_ratio_boost": LeverSpec(
        "share/yr", -0.1, 0.1, 0.0,
        "labour participation: log growth of employed persons per inhabitant, drift + boost"),
    "net_migration_boost": LeverSpec(
        "share/yr", -0.05, 0.05, 0.0,
        "population: log growth n + boost, extra net migration in persons per inhabitant a year (target 9)"),
    "trained_share_boost": LeverSpec(
        "share/yr", -0.05, 0.05, 0.0,
        "human capital: extra points a year of the trained share (target 11c), added to its logit drift as "
        "boost / (p₀(1 − p₀)) at the base-year share p₀"),
    "export_growth_boost": LeverSpec(
        "share/yr", -0.5, 0.5, 0.0,
        "exports: drift of the log export-to-GRDP ratio + boost (external demand, FDI in export industries)"),
    "revenue_ratio_boost": LeverSpec(
        "share/yr", -0.5, 0.5, 0.0,
        "budget revenue: drift of the log revenue-to-GRDP ratio + boost (tax effort, land revenue)"),
}


@dataclass(frozen=True)
class ResolvedLevers:
    """Every lever as an explicit array, shaped (years, 1) for all paths or (years, paths).

    Attributes
    ----------
    values : dict name -> float array
        (H, 1) when the lever is common to all paths, (H, N) for N paths from the Python API.
    origin : dict name -> str
        Where the value came from: the scenario file, an argument, or ``"historical: <entry>"``.
    """

    values: dict[str, np.ndarray]
    origin: dict[str, str]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    @property
    def per_path(self) -> bool:
        return any(v.shape[1] > 1 for v in self.values.values())

    def for_paths(self, start: int, stop: int) -> "ResolvedLevers":
        """The levers of paths ``start:stop`` (per-path arrays sliced, common ones as they are)."""
        if not self.per_path:
            return self
        return ResolvedLevers({k: v[:, start:stop] if v.shape[1] > 1 else v for k, v in self.values.items()}, self.origin)

    def typical(self) -> "ResolvedLevers":
        """Per-path levers replaced by their mean over paths (the reference path of the summaries)."""
        if not self.per_path:
            return self
        return ResolvedLevers({k: v.mean(axis=1, keepdims=True) for k, v in self.values.items()}, self.origin)

    def historical(self, name: str) -> bool:
        return self.origin.get(name, "").startswith(HISTORICAL)

    def to_dict(self) -> dict:
        """The levers as ``results.json`` records them: one number per year, with their origin."""
        out = {}
        for name, v in self.values.items():
            entry = {"unit": LEVERS[name].unit, "origin": self.origin[name]}
            if v.shape[1] == 1:
                entry["by_year"] = [float(x) for x in v[:, 0]]
            else:
                entry["by_year_mean_over_paths"] = [float(x) for x in v.mean(axis=1)]
                entry["by_year_min"] = [float(x) for x in v.min(axis=1)]
                entry["by_year_max"] = [float(x) for x in v.max(axis=1)]
            out[name] = entry
        return out


def lever_array(name: str, value, *, horizon: int, n_paths: int | None = None, file: str = "", key: str = "") -> np.ndarray:
    """One lever as a (H, 1) or (H, paths) float array, checked against its range.

    ``value`` is a number, a list of H numbers (one per simulated year), or from the Python API
    an array shaped (paths,) or (H, paths).

    Raises
    ------
    InputError
        For a wrong length or shape, a value that is not finite, or one outside the lever's range.
    """
    spec = LEVERS[name]
    key = key or f"levers.{name}"
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"expected a number or one number per simulated year, got {value!r}", file=file, key=key) from None
    if array.ndim == 0:
        array = np.full((horizon, 1), float(array))
    elif array.ndim == 1 and (n_paths is None or array.size == horizon) and array.size == horizon:
        array = array[:, None]
    elif array.ndim == 1 and n_paths is not None and array.size == n_paths:
        array = np.broadcast_to(array[None, :], (horizon, n_paths)).copy()
    elif array.ndim == 2 and array.shape == (horizon, n_paths or -1):
        array = array.copy()
    else:
        expected = f"one number, or {horizon} numbers (one per simulated year)"
        if n_paths is not None:
            expected += f", or an array of shape ({n_paths},) or ({horizon}, {n_paths}) (per path)"
        raise InputError(f"expected {expected}; got shape {array.shape}", file=file, key=key)
    if not np.isfinite(array).all():
        raise InputError("every value must be a finite number (no NaN or infinity)", file=file, key=key)
    low, high = float(array.min()), float(array.max())
    if low < spec.lower or high > spec.upper:
        raise InputError(f"values must lie in [{spec.lower}, {spec.upper}] ({spec.unit}); got {low:g} to {high:g}",
                         file=file, key=key)
    return array
