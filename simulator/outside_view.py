"""The outside view: how often comparable cases did what a target asks, beside the model's P(hit).

For every target the config maps to a reference statistic (today: average real growth over five
years), three things from a provincial panel of real GRDP levels of one vintage:

1. **Reference classes of five-year spells** (e.g. all provinces, a region, the city's former
   units, their summed levels): every window of ``spell_years`` consecutive years in which a
   region has both end levels, with its compound average growth (Y_end / Y_start)^(1/L) − 1. For
   each class: the share of spells reaching the required rate (the base rate), the percentile of
   the required rate in the spells' distribution, the number of spells and an effective number
   of independent spells (:func:`effective_spells`).
2. **Past plan targets against outcomes** (:func:`plan_pairs`): each target of a past plan paired
   with the outcome reported for the same region and period (or the successor region's, after a
   merger), and, where the panel covers the period, with the back-series outcome too, so that like
   can be compared with like; hit rate and mean shortfall per record.
3. **A blended probability** (:func:`blend`): the model's P(hit) updated on the base rate by a
   beta-binomial. The prior is Beta(a₀ + n_eff·b, a₀ + n_eff·(1 − b)), b the class's base rate and
   n_eff its effective number of spells; the model's P enters as ``m`` pseudo-spells of which
   m·P hit, so the posterior is Beta(a₀ + n_eff·b + m·P, a₀ + n_eff·(1 − b) + m·(1 − P)) and the
   blended P its mean, (a₀ + n_eff·b + m·P) / (2a₀ + n_eff + m). m and a₀ are config values; with
   a₀ = 0 the blended P is the weighted mean of b and P with weights n_eff and m.

A target the config does not map, or maps to ``[no_reference]``, gets an explicit "no reference
class" entry with the reason: a reference class is never invented. Everything specific to a place
(files, which regions form each class, which targets map to what) is in the config file
(``calibration/outside_view.toml``); nothing here names a province.

Entry points: :func:`load_reference` (read the config and the data once) and
:func:`outside_view_for` (one :class:`OutsideView` per target id, given each target's model P).
"""

from __future__ import annotations

import difflib
import math
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.special import betaincinv

from .errors import InputError
from .sourced import first_error, read_toml

COLUMNS = ("region", "year", "indicator", "value", "unit", "price_basis", "source", "note")
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
#: A note that names its source an aggregator or a secondary one.
_SECONDARY = re.compile("aggregator|secondary", re.IGNORECASE)
_TARGET = re.compile(r"^growth_target_(min|max)_(\d+)yr$")
_OUTCOME = re.compile(r"^growth_outcome_(\d+)yr_reported$")
#: The single-year growth of the reported vintage: the outcome of an annual (1-year) target.
ANNUAL_OUTCOME = "grdp_real_growth_reported"


# ----------------------------------------------------------------------------------------- config
class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Data(_Frozen):
    file: str
    #: The level series that defines spells (one vintage: never spliced with another).
    level_indicator: str = "grdp_constant_2010"
    #: A year-on-year |Δ ln level| above this is a data error: spells containing it are left out.
    max_abs_log_change: float = Field(default=0.5, gt=0.0)
    spell_years: int = Field(default=5, ge=1)
    registry: str
    calibration: str
    #: Regions that appear in the file only with plan targets or outcomes (nation, region, merged areas).
    other_regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ("pct", "bn_vnd", "mvnd")


class ClassConfig(_Frozen):
    label: str
    label_vi: str = ""  # the same in Vietnamese, for --lang vi
    #: Regions whose spells form the class.
    regions: tuple[str, ...] = ()
    #: Or one region formed by summing these regions' levels (same price base, every year all present).
    sum_of: tuple[str, ...] = ()
    name: str = ""  # the summed region's name

    @model_validator(mode="after")
    def _one_kind(self):
        if bool(self.regions) == bool(self.sum_of):
            raise ValueError("give either regions or sum_of")
        return self


class TargetMap(_Frozen):
    """How a registry target maps to a reference statistic."""

    statistic: Literal["average_real_growth"] = "average_real_growth"
    #: ``threshold``: the target's own rate; ``level``: a level target turned into the average real
    #: growth it needs from the base-year value at the calibration's trend growth of the
    #: ``offsets`` (log points a year, e.g. the deflator's; the population's for a per-capita level).
    required: Literal["threshold", "level"] = "threshold"
    base: str = ""                     # calibration base-year value of the numerator
    per: str = ""                      # base-year value divided by (per-capita levels)
    scale: float = Field(default=1.0, gt=0.0, allow_inf_nan=False)  # unit factor of base/per into the target's unit
    offsets: tuple[str, ...] = ()      # calibration parameters (log growth) netted out
    note: str = ""

    @model_validator(mode="after")
    def _level_needs_base(self):
        if self.required == "level" and not self.base:
            raise ValueError("a level mapping needs 'base' (a base-year value of the calibration)")
        return self


class NoReference(_Frozen):
    reason: str = Field(min_length=1)
    reason_vi: str = ""  # the same in Vietnamese, for --lang vi


class PlanRecordConfig(_Frozen):
    label: str
    label_vi: str = ""  # the same in Vietnamese, for --lang vi
    regions: tuple[str, ...] = Field(min_length=1)
    #: Spans (years) of the targets counted: 5 = a term, 3 = a mid-term review, 1 = an annual plan.
    spans: tuple[int, ...] = (5, 3, 1)


class BlendConfig(_Frozen):
    #: The class whose base rate is the prior of the headline blended probability.
    reference_class: str
    #: m: the model's P(hit) counts as m pseudo-spells.
    model_weight: float = Field(ge=0.0, allow_inf_nan=False)
    #: a₀: pseudo-counts of each outcome before any spell (0.5 = Jeffreys; 0 = none, so that the
    #: blended P is the weighted mean of the base rate and the model's P).
    prior_pseudo: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    interval: float = Field(default=0.9, gt=0.0, lt=1.0)
    why: str = ""


class OutsideViewConfig(_Frozen):
    """A validated outside-view config (paths resolved against its folder)."""

    path: str
    meta: dict = Field(default_factory=dict)
    data: _Data
    classes: dict[str, ClassConfig] = Field(min_length=1)
    #: Successor regions of a merger and their former regions (an outcome reported only for the
    #: successor is paired with its former regions' targets for periods ending in merger_year or later).
    merged: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    merger_year: int | None = None
    targets: dict[str, TargetMap] = Field(default_factory=dict)
    no_reference: dict[str, NoReference] = Field(default_factory=dict)
    plan_records: dict[str, PlanRecordConfig] = Field(default_factory=dict)
    #: Source choices where several rows give one outcome: region, year, indicator, source_contains, reason.
    source_choice: tuple[dict, ...] = ()
    blend: BlendConfig

    @model_validator(mode="after")
    def _consistent(self):
        if self.blend.reference_class not in self.classes:
            raise ValueError(f"blend.reference_class '{self.blend.reference_class}' is not one of the classes "
                             f"{', '.join(self.classes)}")
        both = set(self.targets) & set(self.no_reference)
        if both:
            raise ValueError(f"target(s) {sorted(both)} are both mapped and listed under no_reference")
        return self

    def resolve(self, relative: str) -> Path:
        return (Path(self.path).parent / relative).resolve()

    @property
    def regions(self) -> tuple[str, ...]:
        """Every region the data file may name."""
        names = set(self.data.other_regions) | set(self.merged)
        for c in self.classes.values():
            names |= set(c.regions) | set(c.sum_of)
        for r in self.plan_records.values():
            names |= set(r.regions)
        for parts in self.merged.values():
            names |= set(parts)
        return tuple(sorted(names))


def load_outside_view_config(path: str | Path) -> OutsideViewConfig:
    """Read and validate an outside-view config; errors name the file and key."""
    path = Path(path)
    raw = read_toml(path, what="outside-view config")
    try:
        return OutsideViewConfig(path=str(path), **raw)
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise InputError(msg, file=path, key=loc or None) from None


# ------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Levels:
    """Levels of one indicator, consecutive years × regions (NaN where a year has none)."""

    years: np.ndarray            # (T,) consecutive years
    regions: tuple[str, ...]
    values: np.ndarray           # (T, R)

    def column(self, region: str) -> np.ndarray:
        return self.values[:, self.regions.index(region)]

    def select(self, regions: Iterable[str]) -> "Levels":
        """These regions' columns, in the order given."""
        regions = tuple(regions)
        return Levels(self.years, regions, self.values[:, [self.regions.index(r) for r in regions]])

    def growth(self) -> np.ndarray:
        """Annual log growth (T, R), the first year NaN."""
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(self.values)
        return np.vstack([np.full((1, logs.shape[1]), np.nan), np.diff(logs, axis=0)])

    def frame(self):
        """As a pandas table (years × regions), for the calibration's backtests."""
        import pandas as pd

        return pd.DataFrame(self.values, index=pd.Index(self.years, name="year"),
                            columns=pd.Index(self.regions, name="region"))


def read_panel(path: Path, *, regions, units) -> list[dict]:
    """The tidy panel file's rows, validated by the tidy reader (header, region, unit, numbers,
    duplicates), each with ``secondary`` and ``vintage`` (the page date at the start of the note)."""
    from .tidy import read_records

    rows = read_records(path, regions=set(regions), units=set(units))
    for row in rows:
        row["secondary"] = _SECONDARY.search(row["note"]) is not None
        date = _DATE.match(row["note"])
        parts = date.groups() if date else (None, None, None)
        row["vintage"] = "-".join(part or fill for part, fill in zip(parts, ("0000", "00", "00")))
    return rows


def _key(row: dict) -> tuple:
    return row["region"], row["year"], row["indicator"]


def choose_rows(rows: list[dict], overrides: Iterable[dict] = ()) -> list[dict]:
    """One row per (region, year, indicator), sorted by that key: an override of the config (with
    its reason), else a primary source before an aggregator, then the latest page date, then the
    source address (the rule of :mod:`simulator.estimation.data`, without status words, which
    these notes lack). Each row gets its ``rule`` and ``n_sources``."""
    ordered = sorted(rows, key=lambda r: r["source"])  # stable sorts, the least significant first
    ordered.sort(key=lambda r: r["vintage"], reverse=True)
    ordered = [{**r, "rule": "primary source, latest page date"}
               for r in sorted(ordered, key=lambda r: (*_key(r), r["secondary"]))]
    for item in overrides:
        key = (item["region"], int(item["year"]), item["indicator"])
        hit = [_key(r) == key and item["source_contains"] in r["source"] for r in ordered]
        if not any(hit):
            raise InputError(f"no row of {item['region']} {item['year']} {item['indicator']} has a source containing "
                             f"'{item['source_contains']}'", key="source_choice")
        for r, h in zip(ordered, hit):
            if h:
                r["rule"] = f"override: {item.get('reason', '')}"
        # the chosen source first within its key, every other row where it was
        ordered = [r for r, _ in sorted(zip(ordered, hit), key=lambda rh: (*_key(rh[0]), not rh[1]))]
    chosen: dict[tuple, dict] = {}
    for r in ordered:
        first = chosen.setdefault(_key(r), {**r, "n_sources": 0})
        first["n_sources"] += 1
    return list(chosen.values())


def level_panel(rows: list[dict], indicator: str, *, max_abs_log_change: float) -> tuple[Levels, list[dict]]:
    """Levels (years × regions, regions sorted) of one indicator, and the year-on-year changes
    dropped as data errors.

    A change |Δ ln Y| > ``max_abs_log_change`` is read as a data error (a misplaced digit): the later
    level of the change is set missing, so no spell starts or ends on it, and the change is listed.
    """
    picked = [r for r in rows if r["indicator"] == indicator]
    if not picked:
        raise InputError(f"no row of indicator '{indicator}' in the panel", key="data.level_indicator")
    regions = tuple(sorted({r["region"] for r in picked}))
    first = min(r["year"] for r in picked)
    years = np.arange(first, max(r["year"] for r in picked) + 1)
    values = np.full((len(years), len(regions)), np.nan)
    column = {region: j for j, region in enumerate(regions)}
    for r in picked:  # one row per key (choose_rows)
        values[r["year"] - first, column[r["region"]]] = r["value"]
    change = Levels(years, regions, values).growth()
    dropped = []
    for j, region in enumerate(regions):
        for t in np.flatnonzero(np.abs(change[:, j]) > max_abs_log_change):
            dropped.append({"region": region, "year": int(years[t]), "log_change": float(change[t, j]),
                            "reason": f"|Δ ln level| > {max_abs_log_change:g}: read as a data error"})
            values[t, j] = np.nan  # no spell may start or end on the suspect level
    return Levels(years, regions, values), dropped


def summed_levels(levels: Levels, parts: tuple[str, ...], name: str = "") -> Levels:
    """The levels of a merged area (one column, ``name``): the sum of its parts in the years where
    every part has one."""
    missing = [p for p in parts if p not in levels.regions]
    if missing:
        raise InputError(f"no {', '.join(missing)} in the level panel", key="classes")
    block = levels.select(parts).values
    total = np.where(np.isfinite(block).all(axis=1), block.sum(axis=1), np.nan)
    return Levels(levels.years, (name or "+".join(parts),), total[:, None])


# ----------------------------------------------------------------------------------------- spells
@dataclass(frozen=True)
class Spell:
    region: str
    first: int  # the first year of growth (the start level is that of first − 1)
    last: int
    growth: float  # compound average growth, fraction a year

    @property
    def years(self) -> int:
        return self.last - self.first + 1


def spells(levels: Levels, length: int) -> list[Spell]:
    """Every window of ``length`` years with both end levels, per region (overlapping windows)."""
    out = []
    for j, region in enumerate(levels.regions):
        y = levels.values[:, j]
        for t in range(len(y) - length):
            start, end = y[t], y[t + length]
            if np.isfinite(start) and np.isfinite(end) and start > 0:
                out.append(Spell(str(region), int(levels.years[t]) + 1, int(levels.years[t + length]),
                                 float((end / start) ** (1.0 / length) - 1.0)))
    return out


@dataclass(frozen=True)
class VarianceComponents:
    """Annual log growth g_it = m + μ_i + δ_t + e_it: variances of the region effect μ, the year
    effect δ (the shocks regions share) and the residual e, by moments of the two-way layout."""

    region: float
    year: float
    residual: float
    n_obs: int

    def to_dict(self) -> dict:
        return {"region": self.region, "year": self.year, "residual": self.residual, "n_obs": self.n_obs}


def variance_components(growth) -> VarianceComponents:
    """Method-of-moments components of a (years × regions) array or table of log growth with gaps.

    The two-way fixed effects are found by alternating projections; σ_e² = SSR / (N − R − T + 1);
    σ_δ² = var(δ̂_t) − σ_e²/R̄ (R̄ the mean number of regions a year) and σ_μ² = var(μ̂_i) − σ_e²/T̄,
    each floored at zero.
    """
    x = np.asarray(growth, dtype=float)
    present = np.isfinite(x)
    n = int(present.sum())
    n_years, n_regions = int(present.any(axis=1).sum()), int(present.any(axis=0).sum())
    if n < n_years + n_regions + 1 or n_years < 2 or n_regions < 2:
        raise ValueError("too few observations for the variance components")
    xs = np.where(present, x, 0.0)
    mean = xs.sum() / n
    a = np.zeros(x.shape[1])
    d = np.zeros(x.shape[0])
    for _ in range(500):
        resid_a = np.where(present, x - mean - d[:, None], 0.0)
        a_new = np.divide(resid_a.sum(axis=0), present.sum(axis=0), out=np.zeros_like(a), where=present.sum(axis=0) > 0)
        resid_d = np.where(present, x - mean - a_new[None, :], 0.0)
        d_new = np.divide(resid_d.sum(axis=1), present.sum(axis=1), out=np.zeros_like(d), where=present.sum(axis=1) > 0)
        done = np.max(np.abs(a_new - a)) < 1e-12 and np.max(np.abs(d_new - d)) < 1e-12
        a, d = a_new, d_new
        if done:
            break
    e = np.where(present, x - mean - a[None, :] - d[:, None], 0.0)
    dof = max(n - n_years - n_regions + 1, 1)
    s_e = float((e**2).sum() / dof)
    rows_a = present.any(axis=0)
    rows_d = present.any(axis=1)
    s_mu = float(np.var(a[rows_a], ddof=1) - s_e / present.sum(axis=0)[rows_a].mean())
    s_d = float(np.var(d[rows_d], ddof=1) - s_e / present.sum(axis=1)[rows_d].mean())
    return VarianceComponents(max(s_mu, 0.0), max(s_d, 0.0), s_e, n)


def effective_spells(cases: Iterable[tuple[str, int, int]], components: VarianceComponents) -> float:
    """Effective number of independent spells, n_eff = n² / Σ_ab ρ_ab.

    ``cases`` are (region, first year, last year). Under g_it = m + μ_i + δ_t + e_it the averages
    of spells a and b over L_a and L_b years have
    cov = 1[same region]·σ_μ² + k_ab/(L_a·L_b)·(σ_δ² + 1[same region]·σ_e²), k_ab their common
    years, and var_a = σ_μ² + (σ_δ² + σ_e²)/L_a. Overlapping windows share years, a region's
    windows share its effect, and regions share the year shocks, each cutting n_eff below n. It
    is exact for the mean of the spell averages; for the share of spells above a threshold it is
    the usual approximation (the indicator of a spell is at most as correlated as its average).
    With no region or year component, one region's five overlapping five-year windows give
    25/17 ≈ 1.47.
    """
    cases = list(cases)
    n = len(cases)
    if n == 0:
        return 0.0
    regions = np.array([c[0] for c in cases])
    first = np.array([c[1] for c in cases], dtype=float)
    last = np.array([c[2] for c in cases], dtype=float)
    length = last - first + 1.0
    common = np.clip(np.minimum(last[:, None], last[None, :]) - np.maximum(first[:, None], first[None, :]) + 1.0, 0.0, None)
    same = regions[:, None] == regions[None, :]
    cov = (same * components.region
           + common / (length[:, None] * length[None, :]) * (components.year + same * components.residual))
    var = components.region + (components.year + components.residual) / length
    denominator = np.sqrt(var[:, None] * var[None, :])
    rho = np.divide(cov, denominator, out=np.eye(n), where=denominator > 0)
    return float(n * n / rho.sum())


def percentile_of(values: np.ndarray, x: float) -> float:
    """Mid-rank percentile (0–100) of x among values: 100·(#{v < x} + ½·#{v = x}) / n."""
    values = np.asarray(values, dtype=float)
    return float(100.0 * (np.sum(values < x) + 0.5 * np.sum(values == x)) / len(values))


def reached(values: np.ndarray, required: float, comparator: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values > required if comparator == ">" else values >= required


# ----------------------------------------------------------------------------------------- blend
@dataclass(frozen=True)
class Blend:
    """The model's P(hit) updated on a reference class's base rate (see the module docstring)."""

    reference_class: str
    base_rate: float
    n_effective: float
    prior_alpha: float
    prior_beta: float
    model_p: float
    model_weight: float
    alpha: float
    beta: float
    p: float
    interval: tuple[float, float]
    interval_level: float

    def to_dict(self) -> dict:
        return {"reference_class": self.reference_class, "base_rate": self.base_rate, "n_effective": self.n_effective,
                "prior": [self.prior_alpha, self.prior_beta], "model_p": self.model_p,
                "model_weight": self.model_weight, "posterior": [self.alpha, self.beta], "p": self.p,
                "interval": list(self.interval), "interval_level": self.interval_level}


def blend(model_p: float, base_rate: float, n_effective: float, *, model_weight: float, prior_pseudo: float = 0.0,
          interval: float = 0.9, reference_class: str = "") -> Blend:
    """Beta-binomial update: prior Beta(a₀ + n_eff·b, a₀ + n_eff·(1 − b)) from the class, the model's
    P as ``model_weight`` pseudo-spells; the blended P is the posterior mean
    (a₀ + n_eff·b + m·P) / (2a₀ + n_eff + m), with its central ``interval``."""
    if not (0.0 <= model_p <= 1.0 and 0.0 <= base_rate <= 1.0):
        raise ValueError("probabilities must be in [0, 1]")
    a0 = prior_pseudo + n_effective * base_rate
    b0 = prior_pseudo + n_effective * (1.0 - base_rate)
    a = a0 + model_weight * model_p
    b = b0 + model_weight * (1.0 - model_p)
    if a + b <= 0:
        raise ValueError("no weight at all: n_effective, model_weight and prior_pseudo are all zero")
    tail = (1.0 - interval) / 2.0
    if a > 0 and b > 0:
        low, high = betaincinv(a, b, [tail, 1.0 - tail])  # the Beta(a, b) quantiles
    else:  # all the weight on one outcome: the posterior is a point mass
        low = high = a / (a + b)
    return Blend(reference_class, float(base_rate), float(n_effective), float(a0), float(b0), float(model_p),
                 float(model_weight), float(a), float(b), float(a / (a + b)), (float(low), float(high)), interval)


# -------------------------------------------------------------------------------------- plan record
@dataclass(frozen=True)
class PlanPair:
    """One past plan target beside its outcome (growth in percent a year)."""

    region: str
    first: int
    last: int
    target_min: float
    target_max: float | None
    outcome: float | None          # as reported at the end of the period (early estimate)
    outcome_region: str            # the region whose outcome it is (a successor after a merger)
    backseries: float | None       # the same period from the panel's levels, where it covers it
    target_source: str
    outcome_source: str

    @property
    def hit(self) -> bool | None:
        return None if self.outcome is None else bool(self.outcome >= self.target_min - 1e-12)

    @property
    def shortfall(self) -> float | None:
        return None if self.outcome is None else float(self.target_min - self.outcome)

    @property
    def backseries_hit(self) -> bool | None:
        return None if self.backseries is None else bool(self.backseries >= self.target_min - 1e-12)

    def to_dict(self) -> dict:
        return {"region": self.region, "period": [self.first, self.last], "target_min": self.target_min,
                "target_max": self.target_max, "outcome_reported": self.outcome, "outcome_region": self.outcome_region,
                "outcome_backseries": self.backseries, "hit": self.hit, "shortfall": self.shortfall,
                "backseries_hit": self.backseries_hit, "target_source": self.target_source,
                "outcome_source": self.outcome_source}


@dataclass(frozen=True)
class PlanRecord:
    """A set of plan pairs: hit rate and mean shortfall (target minimum minus outcome, points)."""

    name: str
    label: str
    pairs: tuple[PlanPair, ...]
    label_vi: str = ""

    def _stats(self, values: list[float | None], hits: list[bool | None]) -> dict:
        v = [x for x in values if x is not None]
        h = [x for x in hits if x is not None]
        return {"n": len(v), "hits": int(sum(h)), "hit_rate": (sum(h) / len(h)) if h else None,
                "mean_shortfall": float(np.mean(v)) if v else None}

    @property
    def reported(self) -> dict:
        return self._stats([p.shortfall for p in self.pairs], [p.hit for p in self.pairs])

    @property
    def backseries(self) -> dict:
        return self._stats([None if p.backseries is None else p.target_min - p.backseries for p in self.pairs],
                           [p.backseries_hit for p in self.pairs])

    def by_span(self) -> dict[int, dict]:
        """Reported hit rate and mean shortfall for each span of target (5 = terms, 3, 1 = annual)."""
        out = {}
        for k in sorted({p.last - p.first + 1 for p in self.pairs}, reverse=True):
            part = [p for p in self.pairs if p.last - p.first + 1 == k]
            out[k] = self._stats([p.shortfall for p in part], [p.hit for p in part])
        return out

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "reported": self.reported, "backseries": self.backseries,
                "by_span": {f"{k}yr": v for k, v in self.by_span().items()},
                "pairs": [p.to_dict() for p in self.pairs]}


def _successor(region: str, merged: Mapping[str, tuple[str, ...]]) -> str | None:
    for successor, parts in merged.items():
        if region in parts:
            return successor
    return None


def plan_pairs(chosen: list[dict], levels: Levels, *, regions: Iterable[str], spans: Iterable[int],
               merged: Mapping[str, tuple[str, ...]], merger_year: int | None) -> list[PlanPair]:
    """Every growth target of ``regions`` (rows ``growth_target_min_<k>yr``) with its outcome.

    The outcome is the region's own reported one for the same period (``growth_outcome_<k>yr_reported``,
    or for k = 1 the year's reported growth); if there is none and the period ends in or after the
    merger year, the successor region's. The back-series outcome is the panel's compound average
    over the period where both end levels exist. A target without any outcome is kept (no hit).
    """
    spans = set(spans)
    table = {_key(r): r for r in chosen}
    out = []
    for (region, year, indicator), row in sorted(table.items()):
        m = _TARGET.match(indicator)
        if region not in regions or not m or m.group(1) != "min" or int(m.group(2)) not in spans:
            continue
        k = int(m.group(2))
        first = year - k + 1
        wanted = ANNUAL_OUTCOME if k == 1 else f"growth_outcome_{k}yr_reported"
        outcome_row, outcome_region = table.get((region, year, wanted)), region
        successor = _successor(region, merged)
        if outcome_row is None and successor and merger_year is not None and year >= merger_year:
            outcome_row, outcome_region = table.get((successor, year, wanted)), successor
        top = table.get((region, year, f"growth_target_max_{k}yr"))
        back = None
        if region in levels.regions and levels.years[0] <= first - 1 and year <= levels.years[-1]:
            y = levels.column(region)
            y0, y1 = y[first - 1 - levels.years[0]], y[year - levels.years[0]]
            if np.isfinite(y0) and np.isfinite(y1):
                back = float(100.0 * ((y1 / y0) ** (1.0 / k) - 1.0))
        out.append(PlanPair(region, first, year, float(row["value"]), None if top is None else float(top["value"]),
                            None if outcome_row is None else float(outcome_row["value"]),
                            outcome_region if outcome_row is not None else "", back, row["source"],
                            "" if outcome_row is None else outcome_row["source"]))
    return out


# -------------------------------------------------------------------------------------- the view
@dataclass(frozen=True)
class SpellClass:
    """One reference class of spells, read against one required rate."""

    name: str
    label: str
    regions: int
    n_spells: int
    n_effective: float
    reached: int
    base_rate: float
    percentile: float
    quantiles: tuple[float, float, float]  # 10 %, median, 90 % of the spells' average growth
    spell_years: tuple[int, int]           # first and last year of growth covered
    components: VarianceComponents
    blended_p: float | None = None
    label_vi: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "regions": self.regions, "n_spells": self.n_spells,
                "n_effective": self.n_effective, "reached": self.reached, "base_rate": self.base_rate,
                "percentile": self.percentile, "p10": self.quantiles[0], "median": self.quantiles[1],
                "p90": self.quantiles[2], "years": list(self.spell_years), "variance_components": self.components.to_dict(),
                "blended_p": self.blended_p}


@dataclass(frozen=True)
class OutsideView:
    """The outside view of one target (``to_dict`` is what ``results.json`` carries as
    ``outside_view``). ``reason`` is set, and every other field empty, when no reference class
    exists for the target."""

    id: str
    model_p: float | None
    statistic: str = ""
    required: float | None = None        # the required rate, fraction a year
    comparator: str = ">="
    how: str = ""                        # how the required rate was obtained
    classes: tuple[SpellClass, ...] = ()
    records: tuple[PlanRecord, ...] = ()
    blended: Blend | None = None
    reason: str = ""
    reason_vi: str = ""

    @property
    def has_reference(self) -> bool:
        return not self.reason

    @property
    def headline(self) -> SpellClass | None:
        """The class of the blended probability (else the first)."""
        if not self.classes:
            return None
        wanted = self.blended.reference_class if self.blended else ""
        return next((c for c in self.classes if c.name == wanted), self.classes[0])

    def to_dict(self, *, records: bool = True) -> dict:
        """What ``results.json`` carries as a target's ``outside_view``; ``records=False`` leaves out
        the past-plan records (the same for every target: :func:`outside_view_json` puts them once)."""
        if not self.has_reference:
            return {"id": self.id, "reference_class": None, "reason": self.reason, "model_p": self.model_p}
        head = self.headline
        return {"id": self.id, "reference_class": head.name, "statistic": self.statistic,
                "required_rate": self.required, "comparator": self.comparator, "how": self.how,
                "base_rate": head.base_rate, "n_spells": head.n_spells, "n_effective": head.n_effective,
                "percentile": head.percentile, "model_p": self.model_p,
                "blended_p": None if self.blended is None else self.blended.p,
                "blended": None if self.blended is None else self.blended.to_dict(),
                "classes": [c.to_dict() for c in self.classes],
                **({"plan_records": [r.to_dict() for r in self.records]} if records else {}),
                "reason": None}

    def table_row(self) -> dict:
        """A flat row for a terminal table: numbers only (fractions), None where empty."""
        head = self.headline
        return {"id": self.id, "required_rate": self.required,
                "reference_class": None if head is None else head.name,
                "base_rate": None if head is None else head.base_rate,
                "n_spells": None if head is None else head.n_spells,
                "n_effective": None if head is None else head.n_effective,
                "percentile": None if head is None else head.percentile,
                "model_p": self.model_p, "blended_p": None if self.blended is None else self.blended.p,
                "reason": self.reason or None}


@dataclass(frozen=True)
class Reference:
    """What :func:`load_reference` reads once: the config, the chosen rows (one per region, year
    and indicator), the level panel, the spells of every class with its variance components, the
    plan records and the required rates. Plain lists and arrays: a run does not load pandas."""

    config: OutsideViewConfig
    chosen: tuple[dict, ...]
    panel: Levels
    dropped: tuple[dict, ...]
    class_spells: dict[str, tuple[Spell, ...]]
    class_regions: dict[str, tuple[str, ...]]
    components: dict[str, VarianceComponents]
    records: tuple[PlanRecord, ...]
    required: dict[str, tuple[float, str, str]] = field(default_factory=dict)  # id -> (rate, comparator, how)


    @property
    def rows(self):
        """The chosen rows as a pandas table (for the calibration's backtests)."""
        import pandas as pd

        return pd.DataFrame(list(self.chosen))

    @property
    def levels(self):
        """The level panel as a pandas table, years × regions (for the calibration's backtests)."""
        return self.panel.frame()


def _class_levels(levels: Levels, name: str, cls: ClassConfig, config: OutsideViewConfig) -> Levels:
    """The level panel of one class; a region without a level series in the data file is named."""
    wanted = cls.sum_of or cls.regions
    missing = [r for r in wanted if r not in levels.regions]
    if missing:
        raise InputError(f"no {config.data.level_indicator} series for {', '.join(map(repr, missing))} in "
                         f"{config.resolve(config.data.file)}", file=config.path,
                         key=f"classes.{name}.{'sum_of' if cls.sum_of else 'regions'}")
    if cls.sum_of:
        return summed_levels(levels, cls.sum_of, cls.name)
    return levels.select(cls.regions)


def required_rates(config: OutsideViewConfig, registry=None, calibration=None) -> dict[str, tuple[float, str, str]]:
    """The required average real growth of every mapped target: (rate, comparator, how).

    ``calibration``, when given, is the config's calibration file already read (used only if it
    is that file: a run reads its calibration once)."""
    from .metrics import KNOWN_UNITS
    from .parameters import load_calibration
    from .targets import Kind, load_registry
    from .units import conversion_factor

    if not config.targets:
        return {}
    registry = registry or load_registry(config.resolve(config.data.registry), metric_units=KNOWN_UNITS)
    by_id = {t.id: t for t in registry.targets}
    if calibration is not None and Path(calibration.path).resolve() != config.resolve(config.data.calibration):
        calibration = None
    out = {}
    for tid, mapping in config.targets.items():
        if tid not in by_id:
            raise InputError(f"'{tid}' is not a target of {registry.path}", file=config.path, key=f"targets.{tid}")
        target = by_id[tid]
        if target.comparator not in (">=", ">") or target.threshold is None:
            raise InputError(f"target {tid} is not a '>=' or '>' threshold", file=config.path, key=f"targets.{tid}")
        if mapping.required == "threshold":
            if target.kind is not Kind.AVERAGE_GROWTH:
                raise InputError(f"target {tid} is a {target.kind.value} target, not an average growth: map it with "
                                 "required = \"level\"", file=config.path, key=f"targets.{tid}.required")
            rate = target.threshold / conversion_factor("share/yr", target.unit)
            how = f"the target's own rate, {target.threshold:g} {target.unit} ({target.comparator})"
        else:
            if target.kind is not Kind.LEVEL:
                raise InputError(f"target {tid} is not a level target", file=config.path, key=f"targets.{tid}.required")
            calibration = calibration or load_calibration(config.resolve(config.data.calibration))
            where = f"targets.{tid}"
            base = _known(calibration.base, mapping.base, calibration, config, f"{where}.base").value * mapping.scale
            if mapping.per:
                base /= _known(calibration.base, mapping.per, calibration, config, f"{where}.per").value
            years = (target.year or registry.target_year) - registry.base_year
            threshold = target.threshold * conversion_factor(target.unit, KNOWN_UNITS[target.metric])
            if not threshold > 0:  # no growth rate leads from a positive base to it
                raise InputError(f"target {tid}'s threshold {target.threshold:g} {target.unit} is not a positive level, "
                                 f"so it needs no growth ({config.path} maps it to the growth it requires)",
                                 file=registry.path, key=f"target {tid}.threshold")
            nominal = math.log(threshold / base) / years
            offset = sum(_known(calibration.parameters, name, calibration, config, f"{where}.offsets").value
                         for name in mapping.offsets)
            rate = math.exp(nominal - offset) - 1.0
            how = (f"the average real growth a level of {threshold:,.6g} {target.unit} in {registry.base_year + years} needs "
                   f"from {base:,.6g} in {registry.base_year}: nominal {math.expm1(nominal):.2%} a year less the "
                   f"calibrated trend{'s' if len(mapping.offsets) > 1 else ''} of "
                   + " and ".join(f"{n} ({calibration.value(n):.4f} log points)" for n in mapping.offsets))
        if mapping.note:
            how += f"; {mapping.note}"
        out[tid] = (float(rate), target.comparator, how)
    return out


def _known(values: dict, name: str, calibration, config: OutsideViewConfig, key: str):
    """``values[name]``, or an error naming the outside-view config's key and the calibration."""
    if name not in values:
        close = difflib.get_close_matches(name, list(values), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError(f"'{name}' is not a value of {calibration.path}{hint}", file=config.path, key=key)
    return values[name]


def load_reference(config: OutsideViewConfig | str | Path, *, registry=None, calibration=None) -> Reference:
    """Read the config's panel file, registry and calibration; build every class and record
    (``registry`` and ``calibration``: those files already read, see :func:`required_rates`)."""
    if not isinstance(config, OutsideViewConfig):
        config = load_outside_view_config(config)
    try:
        return _reference(config, registry, calibration)
    except InputError as exc:
        if exc.file is None:  # a key of the config (source_choice, classes, data): name the config
            raise InputError(exc.detail, file=config.path, key=exc.key) from None
        raise


def _class_components(name: str, growth: np.ndarray, config: OutsideViewConfig, *, dropped: int) -> VarianceComponents:
    """The variance components of one class's (years × regions) log growth; too few observations
    for them (a sparse panel, or changes dropped as data errors) are refused by the class's name."""
    if growth.shape[1] >= 2:
        try:
            return variance_components(growth)
        except ValueError:
            pass
    else:  # one region: no cross-region components; year and residual shocks are one
        g = growth[:, 0][~np.isnan(growth[:, 0])]
        if g.size >= 2:
            return VarianceComponents(0.0, 0.0, float(np.var(g, ddof=1)), int(g.size))
    raise InputError(f"class '{name}' keeps {int(np.isfinite(growth).sum())} growth observation(s) in "
                     f"{growth.shape[1]} region(s) ({dropped} changes above data.max_abs_log_change dropped as data "
                     "errors): too few for the variance of its growth (its effective number of spells)",
                     file=config.path, key=f"classes.{name}")


def _reference(config: OutsideViewConfig, registry, calibration) -> Reference:
    rows = read_panel(config.resolve(config.data.file), regions=config.regions, units=config.data.units)
    chosen = choose_rows(rows, config.source_choice)
    levels, dropped = level_panel(chosen, config.data.level_indicator, max_abs_log_change=config.data.max_abs_log_change)
    class_spells, class_regions, components = {}, {}, {}
    for name, cls in config.classes.items():
        block = _class_levels(levels, name, cls, config)
        class_spells[name] = tuple(spells(block, config.data.spell_years))
        class_regions[name] = block.regions
        components[name] = _class_components(name, block.growth(), config, dropped=len(dropped))
    merged = {k: tuple(v) for k, v in config.merged.items()}
    records = tuple(PlanRecord(name, rec.label, tuple(plan_pairs(chosen, levels, regions=rec.regions, spans=rec.spans,
                                                                  merged=merged, merger_year=config.merger_year)),
                               rec.label_vi)
                    for name, rec in config.plan_records.items())
    return Reference(config, tuple(chosen), levels, tuple(dropped), class_spells, class_regions, components, records,
                     required_rates(config, registry, calibration))


def _p_hits(rows) -> dict[str, float | None]:
    if isinstance(rows, Mapping):
        return {str(k): (None if v is None else float(v)) for k, v in rows.items()}
    out = {}
    for row in rows:
        if isinstance(row, Mapping):
            out[str(row["id"])] = row.get("p_hit")
        else:
            out[str(row.id)] = getattr(row, "p_hit", None)
    return {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)) for k, v in out.items()}


def view(target_id: str, model_p: float | None, reference: Reference) -> OutsideView:
    """The outside view of one target (a "no reference class" entry where the config maps none)."""
    config = reference.config
    if target_id in config.no_reference:
        entry = config.no_reference[target_id]
        return OutsideView(target_id, model_p, reason=entry.reason, reason_vi=entry.reason_vi)
    if target_id not in config.targets:
        return OutsideView(target_id, model_p, reason=f"{UNMAPPED} ({Path(config.path).name})")
    rate, comparator, how = reference.required[target_id]
    b = config.blend
    classes = []
    for name, cls in config.classes.items():
        values = np.array([s.growth for s in reference.class_spells[name]])
        if len(values) == 0:
            continue
        hit = reached(values, rate, comparator)
        n_eff = effective_spells(((s.region, s.first, s.last) for s in reference.class_spells[name]),
                                 reference.components[name])
        base_rate = float(hit.mean())
        blended = (None if model_p is None else
                   blend(model_p, base_rate, n_eff, model_weight=b.model_weight, prior_pseudo=b.prior_pseudo,
                         interval=b.interval, reference_class=name).p)
        years = (min(s.first for s in reference.class_spells[name]), max(s.last for s in reference.class_spells[name]))
        classes.append(SpellClass(name, cls.label, len(reference.class_regions[name]), len(values), n_eff, int(hit.sum()),
                                  base_rate, percentile_of(values, rate),
                                  tuple(float(q) for q in np.quantile(values, [0.1, 0.5, 0.9])), years,
                                  reference.components[name], blended, label_vi=cls.label_vi))
    if not classes:  # no class has a spell of the config's length in the panel
        return OutsideView(target_id, model_p, reason=f"no spell of {config.data.spell_years} years in any class "
                                                      f"({Path(config.path).name})")
    head = next((c for c in classes if c.name == b.reference_class), None)
    blended = (None if model_p is None or head is None else
               blend(model_p, head.base_rate, head.n_effective, model_weight=b.model_weight,
                     prior_pseudo=b.prior_pseudo, interval=b.interval, reference_class=head.name))
    return OutsideView(target_id, model_p, config.targets[target_id].statistic, rate, comparator, how, tuple(classes),
                       reference.records, blended)


def outside_view_for(rows, config: Reference | OutsideViewConfig | str | Path, *, registry=None) -> dict[str, OutsideView]:
    """The outside view of every target given, keyed by target id.

    Parameters
    ----------
    rows : mapping id -> P(hit), or iterable of result rows
        ``{"1c": 0.034, ...}``, or objects / dicts with ``id`` and ``p_hit`` (e.g.
        ``result.targets``, the rows of ``results.json``); a P of None (a qualitative row) gives
        no blended probability.
    config : Reference, OutsideViewConfig, or a path to the config file
        A :class:`Reference` from :func:`load_reference` avoids reading the files again.
    registry : simulator.targets.Registry, optional
        The run's registry (with the scenario's readings); default the config's registry file.

    Returns
    -------
    dict id -> OutsideView, in the order given. Targets the config maps to nothing get an entry
    with ``reason`` set and no reference class.
    """
    reference = config if isinstance(config, Reference) else load_reference(config, registry=registry)
    return {tid: view(tid, p, reference) for tid, p in _p_hits(rows).items()}


def outside_view_json(views: Mapping[str, OutsideView]) -> dict:
    """``{"targets": {id: view without records}, "plan_records": [...]}``: the views for a results
    file, the past-plan records (shared by every target) once."""
    records = next((v.records for v in views.values() if v.has_reference), ())
    return {"targets": {tid: v.to_dict(records=False) for tid, v in views.items()},
            "plan_records": [r.to_dict() for r in records]}


#: The reason of a target the config maps to nothing.
UNMAPPED = "no reference statistic is mapped to this target"


def render(views: Mapping[str, OutsideView], *, pairs: bool = True, width: int | None = None, lang: str = "en") -> str:
    """A plain-text table of the views, for a terminal or a report, in ``lang`` (the words of
    ``simulator/labels.toml`` ``[<lang>.outside]``; reasons and record labels from the config's
    ``reason_vi`` and ``label_vi`` where ``lang`` is ``vi`` and they are given). ``pairs=False``
    gives each past-plan record's summary line only (the pairs are in results.json); ``width``
    wraps the prose lines (the reasons and the past-plan summaries) to that many columns."""
    from .output import labels

    words = labels(lang)
    w = words["outside"]
    mark = words["decimal_mark"]

    def num(x: float, spec: str) -> str:
        return format(x, spec).replace(".", mark)

    def local(text: str, text_vi: str) -> str:
        return text_vi if lang == "vi" and text_vi else text

    def points(x):
        return "—" if x is None else num(x, "+.2f")

    # (header key, width at least, left-aligned); a longer header, id or class name widens its
    # column (the ids and classes as long as the longest shown: 80 columns hold the table)
    shown = [v for v in views.values() if v.has_reference]
    id_width = max([len(v.id) for v in shown], default=2)
    class_width = max([len(c.name) for v in shown for c in v.classes], default=5)
    columns = [("id", id_width, True), ("required", 8, False), ("class", class_width, True), ("base_rate", 9, False),
               ("spells", 6, False), ("n_eff", 5, False), ("percentile", 6, False), ("model_p", 7, False),
               ("blended", 7, False)]
    widths = [max(least, len(w[key])) for key, least, _ in columns]

    def row(cells: list[str]) -> str:
        return " ".join(f"{c:<{n}}" if left else f"{c:>{n}}" for c, n, (_, _, left) in zip(cells, widths, columns))

    lines = [*_wrapped(w["title"], width), "", row([w[key] for key, _, _ in columns])]
    for v in views.values():
        if not v.has_reference:
            continue
        for c in v.classes:
            head = c.name == (v.blended.reference_class if v.blended else "")
            lines.append(row([v.id, num(v.required, ".2%"), c.name, num(c.base_rate, ".3f"), str(c.n_spells),
                              num(c.n_effective, ".1f"), num(c.percentile, ".1f"),
                              "" if v.model_p is None else num(v.model_p, ".3f"),
                              "" if c.blended_p is None else num(c.blended_p, ".3f")]) + (" *" if head else ""))
    legend = {c.name: local(c.label, c.label_vi) for v in shown for c in v.classes}
    if legend:
        lines += _wrapped(w["classes"].format(legend="; ".join(f"{k} = {text}" for k, text in legend.items())), width)
    missing = [v for v in views.values() if not v.has_reference and not v.reason.startswith(UNMAPPED)]
    unmapped = [v.id for v in views.values() if not v.has_reference and v.reason.startswith(UNMAPPED)]
    if missing:
        lines += ["", w["no_class"]] + [line for v in missing
                                        for line in _wrapped(f"  {v.id}: {local(v.reason, v.reason_vi)}", width)]
    if unmapped:
        lines.append("  " + w["unmapped"].format(n=len(unmapped)))
    records = next((v.records for v in views.values() if v.has_reference), ())
    for rec in records:
        r, s = rec.reported, rec.backseries
        back = (w["backseries"].format(hits=s["hits"], n=s["n"], shortfall=points(s["mean_shortfall"]))
                if s["n"] else w["no_backseries"])
        lines += [""] + _wrapped(w["past_plans"].format(label=local(rec.label, rec.label_vi), hits=r["hits"], n=r["n"],
                                                        shortfall=points(r["mean_shortfall"]), back=back), width)
        for p in rec.pairs if pairs else ():
            period = f"{p.first}" if p.first == p.last else f"{p.first}-{p.last}"
            high = "" if p.target_max is None or p.target_max == p.target_min else f"–{num(p.target_max, 'g')}"
            region = f" ({p.outcome_region})" if p.outcome_region and p.outcome_region != p.region else ""
            lines.append(f"  {p.region:<16} {period:<9} " + w["pair"].format(
                target=num(p.target_min, "g") + high, reported="—" if p.outcome is None else num(p.outcome, "g"),
                region=region, backseries="—" if p.backseries is None else num(p.backseries, ".2f")))
    return "\n".join(lines) + "\n"


def _wrapped(line: str, width: int | None) -> list[str]:
    """``line`` wrapped to ``width`` (continuation lines indented as its first word), or as it is."""
    if width is None:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return textwrap.wrap(line, width, subsequent_indent=indent) or [line]


def main(argv: list[str] | None = None) -> int:
    """``python -m simulator.outside_view CONFIG ID=P ...``: print the views for given model P."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m simulator.outside_view CONFIG [ID=P ...]")
        return 2
    p_hits = {}
    for item in argv[1:]:
        tid, _, p = item.partition("=")
        p_hits[tid] = float(p) if p else None
    views = outside_view_for(p_hits or {tid: None for tid in load_outside_view_config(argv[0]).targets}, argv[0])
    print(render(views), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
