"""The calibration file: base-year values and model parameters, each with its source.

A calibration file (TOML) has three parts::

    [meta]                      region, base_year, description
    [base.<name>]               one table per base-year value
    [parameters.<block>.<name>] one table per parameter
    [[correlations]]            a = "<shock>", b = "<shock>", rho = …, source = …

Every value table holds ``value``, ``unit`` and ``source``, optionally ``se`` (standard error:
the parameter is then drawn per path when parameter uncertainty is on; refused on a base value,
which the core reads as one number), ``note`` and
``assumption = true`` for numbers that no source gives. The names and units the model needs are
listed here (they belong to the model, not to a place); the numbers live in ``calibration/``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError
from .sourced import (POSITIVE, Value, check_sections, first_error, flatten_blocks, read_toml, read_values,
                      with_overrides)

__all__ = ["BASE_SPEC", "PARAMETER_SPEC", "SHOCKS", "COMPOSITIONS", "Calibration", "Value", "correlation_matrix",
           "load_calibration"]

_INF = math.inf
_LISTED_IN = "simulator/parameters.py"

_OPEN_SHARE = ("share", 1e-6, 1.0 - 1e-6)  # logit or log-ratio of the share taken: strictly inside (0, 1)

# name -> (unit, lower bound, upper bound). Bounds are inclusive; per-path draws are clipped to them.
# Levels the model divides by or takes the log of must be positive (POSITIVE: "greater than 0").
BASE_SPEC: dict[str, tuple[str, float, float]] = {
    "grdp_current_bn_vnd": ("bn VND", POSITIVE, _INF),
    "grdp_deflator_index": ("index", POSITIVE, _INF),
    "population_persons": ("persons", POSITIVE, _INF),
    "employed_persons": ("persons", POSITIVE, _INF),
    "unemployment_rate": ("share", 0.0, 1.0),
    "urbanisation_rate": _OPEN_SHARE,
    "trained_labour_share": _OPEN_SHARE,
    "emp_share_agri": _OPEN_SHARE,
    "emp_share_industry_construction": _OPEN_SHARE,
    "emp_share_services": _OPEN_SHARE,
    "share_agri": _OPEN_SHARE,
    "share_industry": _OPEN_SHARE,
    "share_construction": _OPEN_SHARE,
    "share_taxes": _OPEN_SHARE,
    "share_services": _OPEN_SHARE,
    "budget_revenue_bn_vnd": ("bn VND", POSITIVE, _INF),
    "exports_musd": ("m USD", POSITIVE, _INF),
    "income_per_capita_month_mvnd": ("m VND/person/month", POSITIVE, _INF),
    "usd_vnd": ("VND/USD", POSITIVE, _INF),
}

#: Groups of base shares that must sum to one (checked at load, tolerance 0.5 percentage point).
COMPOSITIONS = {
    "employment": ("emp_share_agri", "emp_share_industry_construction", "emp_share_services"),
    "grdp": ("share_agri", "share_industry", "share_construction", "share_taxes", "share_services"),
}

_RATE = ("share/yr", -1.0, 1.0)
_SD = ("share/yr", 0.0, 1.0)
_RHO = ("share", 0.0, 0.999)

PARAMETER_SPEC: dict[str, tuple[str, float, float]] = {
    "demography.population_growth_mean": _RATE,
    "demography.population_growth_sd": _SD,
    "demography.population_irregular_sd": _SD,
    "demography.population_drift_sd": _SD,
    "demography.urbanisation_logit_drift": ("logit/yr", -1.0, 1.0),
    "demography.urbanisation_logit_sd": ("logit/yr", 0.0, 1.0),
    "demography.urbanisation_base_error": ("logit", -2.0, 2.0),  # the base rate is an estimate: its error
    "labour.employment_ratio_growth_mean": _RATE,
    "labour.employment_ratio_growth_sd": _SD,
    "labour.unemployment_mean": ("share", 0.0, 1.0),
    "labour.unemployment_persistence": _RHO,
    "labour.unemployment_sd": ("share", 0.0, 1.0),
    "labour.unemployment_base_error": ("share", -0.1, 0.1),  # the base rate is an assumption: its error
    "labour.emp_structure_drift_agri": ("log-ratio/yr", -1.0, 1.0),
    "labour.emp_structure_drift_industry_construction": ("log-ratio/yr", -1.0, 1.0),
    "labour.emp_structure_sd_agri": ("log-ratio/yr", 0.0, 1.0),
    "labour.emp_structure_sd_industry_construction": ("log-ratio/yr", 0.0, 1.0),
    # the base split is an assumption: its error on the log-ratio scale (agri / services, ind.-constr. / services)
    "labour.emp_structure_base_error_agri": ("log-ratio", -2.0, 2.0),
    "labour.emp_structure_base_error_industry_construction": ("log-ratio", -2.0, 2.0),
    "labour.trained_share_logit_drift": ("logit/yr", -1.0, 1.0),
    "labour.trained_share_logit_sd": ("logit/yr", 0.0, 1.0),
    "labour.trained_share_base_error": ("logit", -2.0, 2.0),  # the base share is an assumption: its error
    "labour.human_capital_return": ("log points", 0.0, 3.0),
    "production.capital_share": ("share", 0.05, 0.95),
    "production.depreciation_rate": ("share/yr", 0.02, 0.5),
    "production.trend_growth": ("share/yr", -0.01, 0.3),
    "production.base_year_growth": _RATE,
    "production.tfp_growth_persistence": _RHO,
    "production.tfp_growth_sd": _SD,
    "production.investment_share_mean": ("share", POSITIVE, 1.0),  # the per-path history ratio divides by it
    "production.investment_realisation_sd": ("log points", 0.0, 1.0),
    "production.disaster_probability": ("share/yr", 0.0, 1.0),
    "production.disaster_output_loss": ("share", 0.0, 0.9),
    "accounting.capital_weight": ("share", 0.05, 0.95),
    "structure.drift_agri": ("log-ratio/yr", -1.0, 1.0),
    "structure.drift_industry": ("log-ratio/yr", -1.0, 1.0),
    "structure.drift_construction": ("log-ratio/yr", -1.0, 1.0),
    "structure.drift_taxes": ("log-ratio/yr", -1.0, 1.0),
    "structure.sd_agri": ("log-ratio/yr", 0.0, 1.0),
    "structure.sd_industry": ("log-ratio/yr", 0.0, 1.0),
    "structure.sd_construction": ("log-ratio/yr", 0.0, 1.0),
    "structure.sd_taxes": ("log-ratio/yr", 0.0, 1.0),
    "prices.deflator_growth_mean": _RATE,
    "prices.deflator_persistence": _RHO,
    "prices.deflator_growth_sd": _SD,
    "prices.deflator_growth_initial": _RATE,
    "prices.fx_depreciation_mean": _RATE,
    "prices.fx_depreciation_sd": _SD,
    "public.revenue_ratio_drift": _RATE,
    "public.revenue_ratio_sd": _SD,
    "external.export_ratio_drift": _RATE,
    "external.export_ratio_sd": _SD,
    "social.income_ratio_drift": _RATE,
    "social.income_ratio_sd": _SD,
    "social.income_base_error": ("log points", -1.0, 1.0),  # the base income is an estimate: its error
    "shocks.student_t_df": ("degrees of freedom (0 = normal)", 0.0, 1000.0),
}

#: Quantities the model derives on each path from the primitives above (simulator.model.production),
#: with the identity; they are never read from a calibration file nor drawn on their own.
DERIVED: dict[str, str] = {
    "production.capital_output_ratio": "K/Y = s/(δ + e^g − 1): the balanced path of K_t = (1 − δ)K_{t−1} + s·Y_{t−1} "
                                       "(production.investment_share_mean, depreciation_rate, trend_growth)",
    "production.tfp_growth_mean": "μ_A = (1 − α)(g − g_E − g_h): the Solow residual of trend growth on a balanced path "
                                  "(capital_share, trend_growth, population and employment-ratio drifts, trained-share "
                                  "drift × human_capital_return)",
    "production.tfp_growth_initial": "μ_A + (g_base − g): the base year's growth gap put on TFP (base_year_growth)",
    "base.investment_share": "the path's historical share production.investment_share_mean (no base-year figure)",
}

#: The shocks of the model, in the order of the last axis of the shock array.
SHOCKS: tuple[str, ...] = (
    "population", "urbanisation", "employment_ratio", "unemployment",
    "emp_structure_agri", "emp_structure_industry_construction", "trained_share",
    "tfp", "investment",
    "structure_agri", "structure_industry", "structure_construction", "structure_taxes",
    "deflator", "fx", "revenue_ratio", "export_ratio", "income_ratio",
    "population_irregular", "population_drift",
)


class _Correlation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    a: str
    b: str
    rho: float = Field(ge=-1.0, le=1.0)
    source: str = Field(min_length=1)
    note: str = ""
    assumption: bool = False


@dataclass(frozen=True)
class Calibration:
    """Everything the model takes from ``calibration/``: base year, base values, parameters.

    Attributes
    ----------
    base : dict name -> Value
    parameters : dict "block.name" -> Value
    correlation : array (k, k)
        Correlation matrix of the shocks in :data:`SHOCKS` order, checked positive semi-definite.
    """

    path: str
    region: str
    region_vi: str
    base_year: int
    base: dict[str, Value]
    parameters: dict[str, Value]
    correlation: np.ndarray
    correlation_assumptions: tuple[tuple[str, str], ...]

    def value(self, name: str) -> float:
        return self.parameters[name].value

    def with_values(self, *, parameters: dict[str, float], base: dict[str, float], origin) -> "Calibration":
        """A copy with some parameter and base-year values replaced (scenario ``[parameters]`` and
        ``[base]`` tables); ``origin(key)`` names the file that set each key."""
        derived = [n for n in parameters if n in DERIVED] + [f"base.{n}" for n in base if f"base.{n}" in DERIVED]
        if derived:
            name = derived[0]
            key = f"parameters.{name}" if not name.startswith("base.") else name
            raise InputError(f"'{name}' is derived on every path, not set: {DERIVED[name]}; override the primitives "
                             "it rests on instead", file=origin(key), key=key)
        params = with_overrides(self.parameters, parameters, origin=origin, key_prefix="parameters", listed_in=_LISTED_IN)
        values = with_overrides(self.base, base, origin=origin, key_prefix="base", listed_in=_LISTED_IN)
        for group, names in COMPOSITIONS.items():
            total = sum(values[n].value for n in names)
            overridden = [n for n in names if n in base]
            if overridden and abs(total - 1.0) > 0.005:
                raise InputError(f"the {group} shares {', '.join(names)} sum to {total:.4f} after the overrides, "
                                 "expected 1: override them together", file=origin(f"base.{overridden[-1]}"),
                                 key=f"base.{overridden[-1]}")
        return Calibration(self.path, self.region, self.region_vi, self.base_year, values, params,
                           self.correlation, self.correlation_assumptions)


def correlation_matrix(pairs: list[tuple[str, str, float]], *, file: str | Path = "", key: str = "correlations") -> np.ndarray:
    """Correlation matrix of :data:`SHOCKS` from (a, b, rho) pairs; unnamed pairs are 0.

    Raises InputError if a name is unknown, a pair repeats, or the matrix is not positive
    semi-definite (smallest eigenvalue below −1e-10), naming the offending eigenvalue.
    """
    index = {name: i for i, name in enumerate(SHOCKS)}
    matrix = np.eye(len(SHOCKS))
    seen = set()
    for i, (a, b, rho) in enumerate(pairs):
        for name in (a, b):
            if name not in index:
                raise InputError(f"unknown shock '{name}'; valid shocks: {', '.join(SHOCKS)}", file=file, key=f"{key}[{i}]")
        pair = frozenset((a, b))
        if a == b or pair in seen:
            raise InputError(f"pair ({a}, {b}) is a self-pair or given twice", file=file, key=f"{key}[{i}]")
        seen.add(pair)
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = rho
    smallest = float(np.linalg.eigvalsh(matrix).min())
    if smallest < -1e-10:
        raise InputError(
            f"the shock correlation matrix is not positive semi-definite (smallest eigenvalue {smallest:.4g}); "
            "lower the largest correlations or make them mutually consistent", file=file, key=key)
    return matrix


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file.

    Raises
    ------
    InputError
        Naming the file and key, for a missing file, invalid TOML, an unknown or missing name,
        a unit other than the model's, a value out of range, or inconsistent shares.
    """
    path = Path(path)
    return calibration_from_raw(read_toml(path, what="calibration file"), path=path)


def calibration_from_raw(raw: dict, *, path: str | Path) -> Calibration:
    """Validate the parsed content of a calibration file (see :func:`load_calibration`); ``path``
    names it in messages. Used on files and on the text ``simulate calibrate`` is about to write."""
    raw, meta = check_sections(raw, path=path, sections=("meta", "base", "parameters", "correlations"))
    base = read_values(raw.get("base", {}), BASE_SPEC, file=path, prefix="base", listed_in=_LISTED_IN)
    for name, value in base.items():
        if value.se is not None:  # the core reads one base value for every path: an se would be ignored
            raise InputError("the core model's base-year values are one number on every path (only parameters, and "
                             "the satellite calibration's base values, are drawn): remove the se, or give the "
                             "uncertainty to a parameter", file=path, key=f"base.{name}.se")
    for group, names in COMPOSITIONS.items():
        total = sum(base[n].value for n in names)
        if abs(total - 1.0) > 0.005:
            raise InputError(f"the {group} shares {', '.join(names)} sum to {total:.4f}, expected 1",
                             file=path, key="base")
    parameters = read_values(flatten_blocks(raw.get("parameters", {}), file=path), PARAMETER_SPEC, file=path,
                             prefix="parameters", listed_in=_LISTED_IN)
    pairs, assumed = [], []
    for i, raw_pair in enumerate(raw.get("correlations", [])):
        try:
            pair = _Correlation.model_validate(raw_pair)
        except ValidationError as exc:
            loc, msg = first_error(exc)
            raise InputError(msg, file=path, key=f"correlations[{i}].{loc}") from None
        pairs.append((pair.a, pair.b, pair.rho))
        if pair.assumption:
            assumed.append((pair.a, pair.b))
    correlation = correlation_matrix(pairs, file=path)
    return Calibration(str(path), meta.region, meta.region_vi or meta.region, meta.base_year, base, parameters, correlation, tuple(assumed))
