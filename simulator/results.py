"""The result of a run: target rows, per-year quantiles of every series, provenance.

A frozen object; tables are built on demand (:meth:`Result.targets_frame`,
:meth:`Result.series_frame`), never cached onto it.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas loads where a table is asked for: a run (and a worker process) never needs it
    import pandas as pd

from .evaluate import effective_bounds, wilson_interval
from .joint import JointSummary
from .metrics import SERIES
from .table import Table
from .targets import Method, Registry, Target, value_unit
from .units import UNITS_VI, conversion_factor, report_unit

NOT_MODELLED = "not modelled yet"

#: Quantiles of every series kept per year (series.csv, fan charts).
SERIES_QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)


@dataclass(frozen=True)
class TargetSummary:
    """One row of the result table (values in the registry's unit)."""

    id: str
    number: int
    group: str
    name_en: str
    name_vi: str
    metric: str | None
    kind: str
    comparator: str | None
    threshold: float | list[float] | None
    effective_threshold: float | list[float] | None
    unit: str | None
    period: list[int] | None
    method: str
    p_hit: float | None = None
    p_hit_ci95: tuple[float, float] | None = None
    hits: int | None = None
    median: float | None = None
    p10: float | None = None
    p90: float | None = None
    undefined_paths: int = 0
    assumptions: tuple[str, ...] = ()
    note: str = ""
    unit_vi: str | None = None
    approx_tolerance: float | None = None  # relative "about" tolerance applied (approx rows only)
    prior_probability: float | None = None
    prior_reason: str | None = None
    reading: str = ""
    readings: tuple[str, ...] = ()
    wording_vi: str = ""
    echoes: tuple[str, ...] = ()  # base values taken from a target's own arithmetic (the P(hit) restates it)

    @classmethod
    def evaluated(cls, target: Target, registry: Registry, metric_unit: str, hits: int, n: int,
                  quantiles: np.ndarray, undefined: int, assumptions: list[str], tolerance: float,
                  echoes: list[str] = ()) -> "TargetSummary":
        factor = conversion_factor(value_unit(target, metric_unit), target.unit)
        p10, median, p90 = (float(x) * factor for x in quantiles)
        low, high = effective_bounds(target, tolerance)
        return cls(**_common(target, registry), method=target.method.value if target.method is not Method.MODEL else "model",
                   effective_threshold=[low, high] if target.comparator == "between" else (low if target.comparator in (">", ">=") else high),
                   p_hit=hits / n, p_hit_ci95=wilson_interval(hits, n), hits=hits,
                   median=median, p10=p10, p90=p90, undefined_paths=undefined, assumptions=tuple(assumptions),
                   approx_tolerance=tolerance if target.approx else None, echoes=tuple(echoes))

    @classmethod
    def from_prior(cls, target: Target, registry: Registry, hits: int, n: int, probability: float, reason: str,
                   assumptions: list[str]) -> "TargetSummary":
        """A ``prior`` row: P(hit) from the per-path draws of its prior (no simulated value)."""
        return cls(**_common(target, registry), method=Method.PRIOR.value, effective_threshold=None,
                   p_hit=hits / n, p_hit_ci95=wilson_interval(hits, n), hits=hits, assumptions=tuple(assumptions),
                   prior_probability=probability, prior_reason=reason)

    @classmethod
    def not_evaluated(cls, target: Target, registry: Registry) -> "TargetSummary":
        method = "qualitative" if target.method is Method.QUALITATIVE else NOT_MODELLED
        return cls(**_common(target, registry), method=method, effective_threshold=None)


def _common(target: Target, registry: Registry) -> dict:
    threshold = list(target.thresholds) if target.comparator == "between" else target.threshold
    period = list(target.period) if target.period else None
    return dict(id=target.id, number=target.number, group=target.group, name_en=target.name_en, name_vi=target.name_vi,
                metric=target.metric, kind=target.kind.value, comparator=target.comparator, threshold=threshold,
                unit=target.unit, period=period if period else [registry.target_year] if target.comparator else None,
                note=target.note, unit_vi=target.unit_vi or (UNITS_VI.get(target.unit) if target.unit else None),
                reading=target.reading, readings=target.reading_names, wording_vi=target.wording_vi)


def _float(x) -> float:
    """A table cell of a numeric column: the number, NaN where there is none."""
    return float("nan") if x is None else float(x)


def _matrix_table(matrix: np.ndarray, ids: list[str]) -> Table:
    """A square matrix over the targets: a column per target, the ids as the index (``id``)."""
    return Table({tid: matrix[:, j].tolist() for j, tid in enumerate(ids)}, index=("id", ids))


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.floating):
        return _clean(float(x))
    return x


@dataclass(frozen=True)
class Result:
    """The result of one variant: target rows, per-year quantiles of every series, joint counts,
    the levers as resolved, provenance; with ``keep_paths`` also every path.

    Attributes
    ----------
    levers : dict
        Every lever as resolved (:meth:`simulator.levers.ResolvedLevers.to_dict`).
    groups : dict id -> (English, Vietnamese name)
        The registry's groups of targets.
    full_paths : dict metric -> (paths, years), full_hits : (paths, evaluated targets),
    full_parameters : dict name -> (paths,)
        Only with ``keep_paths``: the series, the hit indicators (``joint.ids`` order) and the
        parameters each path used (primitives and derived quantities).
    """

    name: str
    title: str
    region: str
    region_vi: str
    registry_title: str
    seed: int
    paths: int
    years: np.ndarray
    target_year: int
    targets: tuple[TargetSummary, ...]
    series_quantiles: dict[str, np.ndarray]  # metric -> (years, len(SERIES_QUANTILES))
    levers: dict
    provenance: dict
    joint: JointSummary = field(repr=False)
    groups: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    full_paths: dict[str, np.ndarray] | None = field(default=None, repr=False)
    full_hits: np.ndarray | None = field(default=None, repr=False)
    full_parameters: dict[str, np.ndarray] | None = field(default=None, repr=False)
    outside_view: dict | None = field(default=None, repr=False)  # id -> simulator.outside_view.OutsideView

    def conditional(self, given: str) -> pd.DataFrame:
        """P(A | ``given`` hit) for every evaluated target A, beside P(A), from the same paths.

        Raises KeyError naming the evaluated targets if ``given`` is not one of them.
        """
        import pandas as pd
        j = self.joint
        conditional = j.conditional(given)
        hits_given = int(j.cohits[j._i(given), j._i(given)])
        return pd.DataFrame({"id": list(j.ids), "p_hit": j.p_hit(), "p_hit_given": conditional,
                             "lift": conditional / np.where(j.p_hit() > 0, j.p_hit(), np.nan),
                             "paths_given": hits_given})

    def correlation_table(self) -> Table:
        """Correlation matrix of the hit indicators (evaluated targets × evaluated targets)."""
        return _matrix_table(self.joint.correlation(), list(self.joint.ids))

    def cohits_table(self) -> Table:
        """Paths hitting both targets (the diagonal: hits of each)."""
        return _matrix_table(self.joint.cohits, list(self.joint.ids))

    def groups_table(self) -> Table:
        """P(at least k of the group's n targets), one row per group and k; k = n is P(all)."""
        rows = []
        for g in self.joint.group_table():
            for k, p in enumerate(g["p_at_least"]):
                rows.append({"group": g["group"], "n": g["n"], "k": k, "p_at_least_k": p,
                             "p_exactly_k": int(self.joint.group_histograms[g["group"]][k]) / self.joint.paths})
        return Table.from_rows(rows)

    def correlation_frame(self) -> pd.DataFrame:
        """:meth:`correlation_table` as a DataFrame."""
        return self.correlation_table().frame()

    def cohits_frame(self) -> pd.DataFrame:
        """:meth:`cohits_table` as a DataFrame."""
        return self.cohits_table().frame()

    def groups_frame(self) -> pd.DataFrame:
        """:meth:`groups_table` as a DataFrame."""
        return self.groups_table().frame()

    def joint_dict(self) -> dict:
        """The ``joint`` section of ``results.json``."""
        j = self.joint
        return {
            "targets": list(j.ids),
            "groups": j.group_table(),
            "cohits": j.cohits.tolist(),
            "correlation": [[_clean(float(x)) for x in row] for row in j.correlation()],
        }

    def outside_view_dict(self) -> dict:
        """The ``outside_view`` section of ``results.json``: per target the reference class (base
        rate, spells, effective spells, percentile, blended P) or why none exists; past plans once."""
        from .outside_view import outside_view_json

        return outside_view_json(self.outside_view)

    def targets_table(self) -> Table:
        """One row per registry target: thresholds, P(hit) and its interval, quantiles, method.

        Values are in the registry's unit (column ``unit``: percent for shares and rates, as
        :meth:`series_table`). Every column holds one type: ``threshold`` is the threshold, or the
        low end of a ``between`` range whose high end is ``threshold_high`` (NaN otherwise); the
        same for ``effective_threshold`` and ``effective_threshold_high``.
        """
        rows = []
        for t in self.targets:
            row = {k: getattr(t, k) for k in ("id", "number", "group", "name_en", "name_vi", "metric", "kind",
                                               "comparator", "unit", "method",
                                               "p_hit", "median", "p10", "p90", "undefined_paths", "unit_vi",
                                               "approx_tolerance", "prior_probability", "prior_reason", "reading")}
            for name in ("threshold", "effective_threshold"):
                value = getattr(t, name)
                low, high = (value if isinstance(value, (list, tuple)) else (value, None))
                row[name], row[f"{name}_high"] = _float(low), _float(high)
            row["p_hit_low"], row["p_hit_high"] = t.p_hit_ci95 if t.p_hit_ci95 else (None, None)
            row["period"] = "–".join(map(str, t.period)) if t.period else None
            row["assumptions"] = ";".join(t.assumptions)
            rows.append(row)
        order = ("id", "number", "group", "name_en", "name_vi", "metric", "kind", "comparator", "threshold",
                 "threshold_high", "effective_threshold", "effective_threshold_high", "unit")
        numeric = ("p_hit", "median", "p10", "p90", "approx_tolerance", "prior_probability", "p_hit_low", "p_hit_high")
        return Table.from_rows(rows, order=order, floats=numeric)

    def series_table(self, *, units: str = "report") -> Table:
        """Per-year quantiles of every simulated series (long format), the unit in column ``unit``.

        ``units="report"`` (default) shows shares and rates in percent, as :meth:`targets_table`
        and the registry do; ``units="engine"`` keeps the engine's fractions.
        """
        if units not in ("report", "engine"):
            raise ValueError(f"units must be 'report' or 'engine', got {units!r}")
        rows = []
        for metric, q in self.series_quantiles.items():
            unit, factor = report_unit(SERIES[metric].unit) if units == "report" else (SERIES[metric].unit, 1.0)
            for i, year in enumerate(self.years):
                row = {"metric": metric, "unit": unit, "year": int(year)}
                row.update({f"p{round(p * 100):02d}": float(q[i, j]) * factor for j, p in enumerate(SERIES_QUANTILES)})
                rows.append(row)
        return Table.from_rows(rows)

    def targets_frame(self) -> pd.DataFrame:
        """:meth:`targets_table` as a DataFrame."""
        return self.targets_table().frame()

    def series_frame(self, *, units: str = "report") -> pd.DataFrame:
        """:meth:`series_table` as a DataFrame."""
        return self.series_table(units=units).frame()

    def __repr__(self) -> str:
        evaluated = sum(t.p_hit is not None for t in self.targets)
        return (f"<Result {self.name!r}: {self.paths:,} paths, seed {self.seed}, {int(self.years[0])}–"
                f"{int(self.years[-1])}, {evaluated} of {len(self.targets)} targets evaluated; "
                ".targets_frame(), .series_frame(), .groups_frame(), .to_dict()>")

    def _repr_html_(self) -> str:
        """The target table in a notebook: id, name, threshold, unit, median, band and P(hit)."""
        frame = self.targets_frame()[["id", "name_en", "comparator", "threshold", "threshold_high", "unit", "median",
                                      "p10", "p90", "p_hit", "p_hit_low", "p_hit_high", "method"]]
        title = html.escape(f"{self.region} — scenario '{self.name}': {self.paths:,} paths, seed {self.seed}, "
                            f"{int(self.years[0])}→{int(self.years[-1])}")
        return f"<p><b>{title}</b></p>" + frame.to_html(index=False, na_rep="", float_format=lambda x: f"{x:,.4g}")

    def to_dict(self) -> dict:
        """The content of ``results.json``."""
        targets = []
        for t in self.targets:
            targets.append(_clean({
                "id": t.id, "number": t.number, "group": t.group, "name_en": t.name_en, "name_vi": t.name_vi,
                "metric": t.metric, "kind": t.kind, "period": t.period, "comparator": t.comparator,
                "threshold": t.threshold, "effective_threshold": t.effective_threshold, "unit": t.unit,
                "method": t.method, "p_hit": t.p_hit, "p_hit_ci95": list(t.p_hit_ci95) if t.p_hit_ci95 else None,
                "hits": t.hits, "median": t.median, "p10": t.p10, "p90": t.p90,
                "undefined_paths": t.undefined_paths, "assumptions": list(t.assumptions),
                "unit_vi": t.unit_vi, "approx_tolerance": t.approx_tolerance,
                "prior_probability": t.prior_probability, "prior_reason": t.prior_reason,
                "reading": t.reading, "readings": list(t.readings), "wording_vi": t.wording_vi, "note": t.note,
                "echoes": list(t.echoes),
            }))
        if self.outside_view:
            for row in targets:
                view = self.outside_view.get(row["id"])
                if view is not None:
                    full = view.to_dict(records=False)
                    row["outside_view"] = _clean({k: full.get(k) for k in (
                        "reference_class", "required_rate", "base_rate", "n_spells", "n_effective", "percentile",
                        "blended_p", "reason")})
        return {
            "scenario": self.name,
            "title": self.title,
            "region": self.region,
            "region_vi": self.region_vi,
            "seed": self.seed,
            "paths": self.paths,
            "base_year": int(self.years[0]),
            "horizon": int(self.years[-1]),
            "target_year": self.target_year,
            "levers": self.levers,
            "provenance": self.provenance,
            "targets": targets,
            "joint": self.joint_dict(),
            **({"outside_view": self.outside_view_dict()} if self.outside_view else {}),
        }
