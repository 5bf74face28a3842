"""From chosen observations to calibration entries: which estimator feeds which parameter.

:func:`estimate_parameters` returns an :class:`Entry` for every parameter the data support;
every other parameter keeps its prior (``calibration/priors.toml``), and
:attr:`CalibrationRun.fallbacks` says why for each parameter the estimation tried and could not
make. Only primitives are estimated: the quantities tied to them by the model's identities
(the steady-state capital–output ratio and the Solow residual of the World Bank LTGM, Loayza &
Pennings 2018, WPS 8322) are derived on every path by the engine. Capital share, depreciation
and the return to training are priors with their sources in the priors file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.transforms import alr, logit
from .aggregate import aggregate, with_aggregates
from .config import CalibrateConfig, Source
from .data import Observations, series
from .estimators import (Estimate, ar1, disaster_frequency, local_trend, net_of_labour_shocks, panel_growth, pool_sd_with_prior,
                         random_walk_drift, residual_correlation, student_t_df, update_with_prior)


@dataclass(frozen=True)
class Entry:
    """One estimated parameter, ready for the calibration file (engine units)."""

    value: float
    se: float | None
    source: str
    sample: str
    method: str
    note: str = ""
    assumption: bool = False


@dataclass(frozen=True)
class CalibrationRun:
    """What the estimation made of the data.

    Attributes
    ----------
    entries : dict "block.name" -> Entry
    correlations : dict (a, b) -> (Estimate, source)
    fallbacks : dict "block.name" -> reason the prior was kept
    fits : dict label -> statsmodels-backed fit object (for ``summary()``)
    data : DataFrame
        The chosen rows plus the merged unit's aggregates (what the estimates used).
    aggregated : DataFrame
        The aggregated merged-unit rows with their method.
    """

    entries: dict[str, Entry]
    correlations: dict[tuple[str, str], tuple[Estimate, str]]
    fallbacks: dict[str, str]
    fits: dict[str, object] = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    aggregated: pd.DataFrame = field(repr=False)


def project_path(path: str | Path, *, config: str | Path) -> str:
    """A file's path as the project shows it: relative to the nearest folder above it holding a
    pyproject.toml (the same text whatever the working directory), else relative to the folder
    that holds the calibration config's folder (``calibration/data/observations.csv``)."""
    path = Path(path).resolve()
    for parent in path.parents:
        if (parent / "pyproject.toml").is_file():
            return path.relative_to(parent).as_posix()
    root = Path(config).resolve().parent.parent
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def _describe(config: CalibrateConfig, source: Source, indicator: str | None = None) -> str:
    folder = Path(config.path).resolve().parent
    files = ", ".join(f if Path(f).is_absolute() else project_path(folder / f, config=config.path)
                      for f in config.data.files)
    what = indicator or source.indicator
    if source.denominator:
        what = f"{what} / {source.denominator}"
    merged = [r for r in source.regions if r == config.merge.region]
    aggregated = f" (observed, else aggregated from {', '.join(config.merge.components)})" if merged else ""
    return f"{files}: {', '.join(source.regions)} {what}{aggregated}".strip()


def _from_estimate(est: Estimate, source: str, note: str = "", assumption: bool = False) -> Entry:
    return Entry(est.value, est.se, source, est.sample, est.method, note, assumption)


class _Builder:
    """Collects entries, fallbacks and fits while the estimators run (one calibration run)."""

    def __init__(self, config: CalibrateConfig, data: pd.DataFrame, priors: dict):
        self.config, self.data = config, data
        self.priors: dict[str, dict] = priors["parameters"]
        self.priors_base = {name: float(v["value"]) for name, v in priors["base"].items()}
        self.trend: Estimate | None = None  # trend log growth of the merged unit, set by _growth
        self.trend_source = ""
        self.entries: dict[str, Entry] = {}
        self.fallbacks: dict[str, str] = {}
        self.fits: dict[str, object] = {}
        self.residuals: dict[str, pd.Series] = {}

    def source(self, name: str) -> Source | None:
        return self.config.sources.get(name)

    def series(self, region: str, indicator: str, spec: Source | None = None, denominator: str = "") -> pd.Series:
        first, last = (spec.first_year, spec.last_year) if spec else (None, None)
        x = series(self.data, region, indicator, first_year=first, last_year=last)
        if denominator:
            d = series(self.data, region, denominator, first_year=first, last_year=last)
            x = (x / d).dropna()
        return x

    def prior(self, name: str) -> float:
        return float(self.priors[name]["value"])

    def prior_se(self, name: str) -> float:
        return float(self.priors[name].get("se") or 0.0)

    def value(self, name: str) -> float:
        return self.entries[name].value if name in self.entries else self.prior(name)

    def se(self, name: str) -> float:
        return (self.entries[name].se or 0.0) if name in self.entries else self.prior_se(name)

    def fail(self, names, reason: str) -> None:
        for name in names:
            self.fallbacks[name] = reason


def _random_walk(b: _Builder, key: str, transform, drift_name: str, sd_name: str, note: str = "") -> None:
    spec = b.source(key)
    if spec is None:
        b.fail((drift_name, sd_name), f"no [sources.{key}] in the config")
        return
    panel = {}
    for region in spec.regions:
        x = b.series(region, spec.indicator, spec, spec.denominator)
        panel[region] = pd.Series(transform(x.to_numpy()), index=x.index)
    _random_walk_panel(b, key, panel, _describe(b.config, spec), drift_name, sd_name, note)
    if key in b.fits and len(spec.regions) == 1:
        b.residuals[key] = b.fits[key].residuals.droplevel("unit")


def _population(b: _Builder) -> None:
    """Population: a random walk with drift, or a smooth trend (``[sources.population] model``)."""
    spec = b.source("population")
    names = ("demography.population_growth_mean", "demography.population_growth_sd")
    if spec is None or spec.model == "random_walk":
        _random_walk(b, "population", np.log, *names)
        return
    x = b.series(spec.regions[0], spec.indicator, spec)
    described = _describe(b.config, spec)
    if spec.close_with_base:
        base_year = b.config.sample.base_year
        x = pd.concat([x[x.index < base_year], pd.Series({base_year: b.priors_base[spec.close_with_base]})])
        described += f"; {base_year}: base.{spec.close_with_base} of priors.toml"
    fit = local_trend(np.log(x))
    trend_names = names + ("demography.population_irregular_sd", "demography.population_drift_sd")
    if fit is None:
        b.fail(trend_names, "too few years for a smooth trend")
        return
    b.fits["population"] = fit
    note = (f"Smooth trend in log population: the drift wanders (log-likelihood {fit.loglike:.1f} against "
            f"{fit.random_walk_loglike:.1f} for a random walk with fixed drift, one parameter more); the value is "
            "the drift the series leaves its last year with.")
    b.entries[names[0]] = _from_estimate(fit.drift, described, note)
    b.entries[names[1]] = Entry(0.0, None, described, fit.drift.sample,
                                "no level disturbance in a smooth trend (its noise is the irregular, its change the drift)")
    b.entries["demography.population_irregular_sd"] = _from_estimate(fit.irregular_sd, described)
    b.entries["demography.population_drift_sd"] = _from_estimate(fit.drift_sd, described)


def _endpoint_drift(b: _Builder, panel, described: str, drift_name: str, sd_name: str) -> None:
    """Too few changes for a residual scale: drift from the endpoints, se from the prior sd."""
    changes = [(x.dropna().iloc[-1] - x.dropna().iloc[0], x.dropna().index[-1] - x.dropna().index[0])
               for x in panel.values() if len(x.dropna()) >= 2]
    reason = f"fewer than {b.config.sample.min_changes} year-on-year changes in the data"
    if not changes:
        b.fail((drift_name, sd_name), reason)
        return
    total, years = sum(c for c, _ in changes), sum(int(k) for _, k in changes)
    prior_sd = b.prior(sd_name)
    first = min(int(x.dropna().index[0]) for x in panel.values() if len(x.dropna()) >= 2)
    last = max(int(x.dropna().index[-1]) for x in panel.values() if len(x.dropna()) >= 2)
    b.entries[drift_name] = Entry(total / years, prior_sd / np.sqrt(years), described, f"{first}–{last} (endpoints, {years} years)",
                                  "endpoint drift Δx/years; se = prior shock sd/√years (a random walk's drift error)")
    b.fail((sd_name,), reason)


def _structure(b: _Builder, key: str, shares: tuple[str, ...], names: dict[str, tuple[str, str]]) -> None:
    """Log-ratio drifts of shares against the last one (services), pooled over units.

    The ratio of two shares does not depend on whether the shares are of GRDP with or without
    product taxes, so the 3-sector and 4-part bases of the sources can be pooled.
    """
    spec = b.source(key)
    if spec is None:
        b.fail([n for pair in names.values() for n in pair], f"no [sources.{key}] in the config")
        return
    reference = shares[-1]
    excluded = tuple(b.config.sample.covid_years) + tuple(b.config.sample.rebound_years)
    latest = _latest_weights(b, spec.regions)
    weights = dict(zip(spec.regions, latest[0])) if latest is not None else None
    for share in shares[:-1]:
        panel = {}
        for region in spec.regions:
            both = pd.concat([b.series(region, share, spec), b.series(region, reference, spec)], axis=1).dropna()
            panel[region] = pd.Series(alr(both.to_numpy())[:, 0], index=both.index)
        drift_name, sd_name = names[share]
        weight_note = (f"Units weighted by their GRDP shares of {latest[1]}." if weights is not None
                       else "Units weighted alike (no year with every unit's GRDP).")
        if len(panel) > 1 and config_merges(b.config, panel):
            weight_note += (" The units' shocks are larger than the merged unit's (averaging), so the scale errs on "
                            "the wide side.")
        _random_walk_panel(b, f"{key}.{share}", panel, _describe(b.config, spec, f"{share} / {reference}"), drift_name,
                           sd_name, "Changes spanning the COVID and rebound years are left out (the disaster "
                           "component's, not the trend's). " + weight_note, exclude_years=excluded, unit_weights=weights)
        _lean_on_priors(b, f"{key}.{share}", drift_name, sd_name)


def _lean_on_priors(b: _Builder, label: str, drift_name: str, sd_name: str) -> None:
    """Combine a thin pooled estimate with the stated priors (structure: a handful of changes).

    The drift takes the normal–normal update with its prior; the shock scale is pooled with the
    prior scale worth ``sample.structure_prior_df`` degrees of freedom.
    """
    fit = b.fits.get(label)
    if fit is None:
        return
    drift = update_with_prior(fit.drift, prior_value=b.prior(drift_name), prior_se=b.prior_se(drift_name))
    sd = pool_sd_with_prior(fit.sd, df=int(fit.sd.results.df_resid), prior_sd=b.prior(sd_name),
                            prior_df=b.config.sample.structure_prior_df)
    for name, estimate in ((drift_name, drift), (sd_name, sd)):
        entry = b.entries[name]
        b.entries[name] = Entry(estimate.value, estimate.se, entry.source, entry.sample, estimate.method, entry.note,
                                entry.assumption)


def _random_walk_panel(b: _Builder, label: str, panel, described: str, drift_name: str, sd_name: str, note: str = "",
                       *, exclude_years: tuple[int, ...] = (), unit_weights: dict[str, float] | None = None) -> None:
    fit = random_walk_drift(panel, min_changes=b.config.sample.min_changes, exclude_years=exclude_years,
                            unit_weights=unit_weights)
    if fit is None:
        _endpoint_drift(b, panel, described, drift_name, sd_name)
        return
    silent = [unit for unit, x in panel.items() if len(x.dropna()) < 2]
    if silent:
        note = (note + " " if note else "") + (f"No change observed for {', '.join(silent)}: the estimate rests on "
                                               "the other units only.")
    b.fits[label] = fit
    b.entries[drift_name] = _from_estimate(fit.drift, described, note)
    b.entries[sd_name] = _from_estimate(fit.sd, described, note)


def _latest_weights(b: _Builder, regions) -> tuple[np.ndarray, int] | None:
    """Current-price GRDP shares of the latest year in which every unit has a level."""
    table = pd.concat([b.series(r, "grdp_current") for r in regions], axis=1).dropna()
    if table.empty:
        return None
    year = int(table.index.max())
    row = table.loc[year].to_numpy()
    return row / row.sum(), year


def _growth(b: _Builder) -> Estimate | None:
    """Trend growth, TFP scale, COVID loss and persistence; returns the trend log growth."""
    sample = b.config.sample
    dummies = tuple(sample.covid_years) + tuple(sample.rebound_years)
    spec = b.source("real_growth")
    names = ("production.tfp_growth_sd", "production.disaster_output_loss")
    if spec is None:
        b.fail(names + ("production.trend_growth",), "no [sources.real_growth] in the config")
        return None
    panel = {r: np.log1p(b.series(r, spec.indicator, spec)) for r in spec.regions}
    panel = {r: s for r, s in panel.items() if len(s)}
    weights = _latest_weights(b, list(panel))
    n_obs = sum(len(s) for s in panel.values())
    if weights is None or n_obs < len(panel) + len(dummies) + sample.min_changes:
        b.fail(names + ("production.trend_growth",), "too few unit-years of real growth for the panel")
        return None
    fit = panel_growth(panel, dummy_years=dummies)
    b.fits["real_growth"] = fit
    described = _describe(b.config, spec)
    w, weight_year = weights
    means = np.array(list(fit.unit_means.values()))
    trend = float(w @ means)
    trend_se = float(np.sqrt(w @ fit.unit_cov @ w))
    b.trend = Estimate(trend, trend_se, fit.sample,
                       f"GRDP-weighted unit means (current-price shares of {weight_year}) of a panel OLS with unit and year "
                       "dummies; log points a year")
    b.trend_source = described
    pooled = len(panel) > 1 and config_merges(b.config, panel)
    wide = ("; the units' shocks are larger than the merged unit's (averaging), so this errs on the wide side." if pooled
            else ".")
    labour = b.entries.get("labour.employment_ratio_growth_sd")
    if labour is None or labour.value <= 0:
        b.entries["production.tfp_growth_sd"] = _from_estimate(
            fit.sd, described, "Residual scale of real growth net of unit means and the COVID/rebound dummies" + wide)
    else:
        alpha = b.value("production.capital_share")
        net = net_of_labour_shocks(fit.sd, labour_sd=labour.value, labour_sd_se=labour.se or 0.0, capital_share=alpha)
        if net is None:
            b.fail(("production.tfp_growth_sd",), f"the labour input's shocks ((1 − α)·σ_E = "
                   f"{(1 - alpha) * labour.value:.4g}) alone reach the residual scale of real growth ({fit.sd.value:.4g})")
        else:
            b.entries["production.tfp_growth_sd"] = _from_estimate(
                net, described, "Residual scale of real growth net of unit means and the COVID/rebound dummies, less "
                "what the employment ratio's random walk (labour.employment_ratio_growth_sd) already puts into output "
                "through E, so that the model's yearly real growth has the data's residual scale" + wide)
    b.residuals["growth_panel"] = fit.residuals
    covid = {y: e for y, e in fit.year_effects.items() if y in sample.covid_years}
    if covid:
        worst = min(covid, key=lambda y: covid[y].value)
        effect = covid[worst]
        loss = float(-np.expm1(effect.value))
        b.entries["production.disaster_output_loss"] = Entry(
            max(loss, 0.0), float(np.exp(effect.value) * effect.se), described, effect.sample,
            f"1 − exp(δ_{worst}): the {worst} year dummy of the growth panel (worst COVID year), delta-method se",
            "A one-year level loss recovered the next year, as the engine's disaster component models it.")
    else:
        b.fail(("production.disaster_output_loss",), "no COVID year in the growth sample")
    national = b.source("national_growth")
    if national is not None:
        x = np.log1p(b.series(national.regions[0], national.indicator, national))
        try:
            ar = ar1(x, dummy_years=dummies)
        except ValueError as exc:
            b.fail(("production.tfp_growth_persistence",), str(exc))
        else:
            b.fits["national_growth"] = ar
            b.residuals["tfp"] = ar.residuals
            b.entries["production.tfp_growth_persistence"] = _from_estimate(
                ar.persistence, _describe(b.config, national), "National real growth as the proxy for persistence "
                "(the units' growth series are too short and gapped for an AR(1)).")
    return b.trend


def config_merges(config: CalibrateConfig, panel: dict) -> bool:
    """True when the growth panel is the merged unit's former units (not the merged unit itself)."""
    return set(panel) <= set(config.merge.components)


def _disaster_probability(b: _Builder) -> None:
    first, last = b.config.sample.disaster_record
    p, episodes, n = disaster_frequency(b.config.sample.covid_years, first=first, last=last)
    b.entries["production.disaster_probability"] = Entry(
        p, float(np.sqrt(p * (1 - p) / n)) if episodes else None,
        f"{Path(b.config.path).name}: sample.covid_years {list(b.config.sample.covid_years)} (the COVID-19 "
        "contraction of the growth data, see production.disaster_output_loss) within sample.disaster_record",
        f"{first}–{last} ({n} years, {episodes} episode(s))",
        "episodes of economy-wide contraction per year of record; binomial se √(p(1 − p)/n)")


def _investment_share(b: _Builder) -> None:
    """The historical investment share of GRDP, pooled over the unit-years with both series."""
    spec = b.source("investment")
    name = "production.investment_share_mean"
    if spec is None:
        b.fail((name,), "no [sources.investment] in the config")
        return
    pairs = []
    for region in spec.regions:
        both = pd.concat([b.series(region, spec.indicator, spec), b.series(region, "grdp_current")], axis=1).dropna()
        pairs += [(region, int(y), row.iloc[0], row.iloc[1]) for y, row in both.iterrows()]
    if len(pairs) < 2:
        b.fail((name,), "fewer than 2 unit-years with both investment and GRDP")
        return
    inv = np.array([p[2] for p in pairs])
    grdp = np.array([p[3] for p in pairs])
    ratios = inv / grdp
    listed = ", ".join(f"{r} {y}" for r, y, _, _ in pairs)
    b.entries[name] = Entry(
        float(inv.sum() / grdp.sum()), float(ratios.std(ddof=1) / np.sqrt(len(ratios))),
        _describe(b.config, spec) + " and grdp_current", f"{listed} ({len(pairs)} unit-years)",
        "Σ investment / Σ GRDP over unit-years with both; se = sd of the ratios/√n",
        "Investment definitions differ between the sources (data README); few points. The engine derives the "
        "base-year capital stock from it on every path (K/Y = s/(δ + e^g − 1)).", assumption=True)


def _trend_and_base_year(b: _Builder, trend: Estimate | None) -> None:
    """Trend growth g (a primitive: the engine derives K/Y and μ_A from it on every path) and the
    base year's own growth (the gap the engine puts on the base year's TFP growth)."""
    if trend is None:
        b.fail(("production.trend_growth",), "no trend growth estimate")
    else:
        b.entries["production.trend_growth"] = Entry(
            trend.value, trend.se, b.trend_source, trend.sample, trend.method,
            "Trend growth excludes the COVID and rebound years, which the disaster component carries.")
    merged = b.source("merged_growth")
    if merged is None:
        b.fail(("production.base_year_growth",), "no [sources.merged_growth] in the config")
        return
    x = np.log1p(b.series(merged.regions[0], merged.indicator, merged))
    if len(x) and int(x.index[-1]) == b.config.sample.base_year:
        b.entries["production.base_year_growth"] = Entry(
            float(x.iloc[-1]), None, _describe(b.config, merged), f"{b.config.sample.base_year}",
            f"ln(1 + real growth of the base year) = ln(1 + {float(np.expm1(x.iloc[-1])):.4f})")
    else:
        b.fail(("production.base_year_growth",), f"no real growth of the merged unit in {b.config.sample.base_year}")


def _prices(b: _Builder) -> None:
    spec = b.source("deflator")
    names = ("prices.deflator_growth_mean", "prices.deflator_persistence", "prices.deflator_growth_sd")
    if spec is not None:
        x = np.log(b.series(spec.regions[0], spec.indicator, spec, spec.denominator)).diff().dropna()
        try:
            fit = ar1(x)
        except ValueError as exc:
            b.fail(names, str(exc))
        else:
            b.fits["deflator"] = fit
            b.residuals["deflator"] = fit.residuals
            described = _describe(b.config, spec) + " (national proxy: no provincial deflator series)"
            for name, est in zip(names, (fit.mean, fit.persistence, fit.sd)):
                b.entries[name] = _from_estimate(est, described)
    initial = b.source("deflator_initial")
    if initial is not None:
        region = initial.regions[0]
        both = pd.concat([np.log(b.series(region, initial.indicator, initial)).diff(),
                          np.log1p(b.series(region, "grdp_real_growth", initial))], axis=1).dropna()
        if len(both):
            year = int(both.index[-1])
            value = float(both.iloc[-1, 0] - both.iloc[-1, 1])
            b.entries["prices.deflator_growth_initial"] = Entry(
                value, None, _describe(b.config, initial, f"{initial.indicator} and grdp_real_growth"), f"{year}",
                "Δln nominal GDP − ln(1 + real growth) in the latest year with both")


def _correlations(b: _Builder) -> dict[tuple[str, str], tuple[Estimate, str]]:
    out = {}
    for a, c in b.config.correlations:
        ra, rc = b.residuals.get(a), b.residuals.get(c)
        if ra is None or rc is None:
            continue
        est = residual_correlation(ra, rc, min_overlap=b.config.sample.min_overlap)
        if est is not None:
            out[(a, c)] = (est, f"residuals of the {a} and {c} estimates ({project_path(Path(b.config.path).parent / 'data', config=b.config.path)})"
                           + ("; tfp residuals from national real growth (proxy)" if "tfp" in (a, c) else ""))
    return out


def estimate_parameters(config: CalibrateConfig, observations: Observations, priors: dict) -> CalibrationRun:
    """Estimate every parameter the data support.

    Parameters
    ----------
    config : CalibrateConfig
    observations : Observations
        From :func:`simulator.estimation.data.load_observations`.
    priors : dict
        The priors file as read: ``{"base": {...}, "parameters": {"block.name": {...}}}``.
    """
    aggregated = aggregate(observations.selected, merged=config.merge.region, components=config.merge.components,
                           max_weight_gap=config.merge.max_weight_gap)
    data = with_aggregates(observations.selected, aggregated)
    b = _Builder(config, data, priors)
    _population(b)
    spec = b.source("employment_ratio")
    _random_walk(b, "employment_ratio", np.log, "labour.employment_ratio_growth_mean", "labour.employment_ratio_growth_sd",
                 "Labour force per inhabitant as the proxy of employed per inhabitant (unemployment small and stable)."
                 + (f" {spec.why}" if spec is not None and spec.why else ""))
    _random_walk(b, "urbanisation", logit, "demography.urbanisation_logit_drift", "demography.urbanisation_logit_sd",
                 "Pooled over the three units; their definitions of 'urban' differ between sources (data README).")
    _random_walk(b, "trained_share", logit, "labour.trained_share_logit_drift", "labour.trained_share_logit_sd",
                 "National series as the proxy: no provincial series of the certificate-based share.")
    _structure(b, "emp_structure", ("emp_share_agri", "emp_share_ind_constr", "emp_share_services"),
               {"emp_share_agri": ("labour.emp_structure_drift_agri", "labour.emp_structure_sd_agri"),
                "emp_share_ind_constr": ("labour.emp_structure_drift_industry_construction",
                                         "labour.emp_structure_sd_industry_construction")})
    _structure(b, "grdp_structure", ("share_agri", "share_ind_constr", "share_taxes", "share_services"),
               {"share_agri": ("structure.drift_agri", "structure.sd_agri"),
                "share_ind_constr": ("structure.drift_industry", "structure.sd_industry"),
                "share_taxes": ("structure.drift_taxes", "structure.sd_taxes")})
    if "structure.drift_industry" in b.entries:
        e = b.entries["structure.drift_industry"]
        b.entries["structure.drift_construction"] = Entry(
            e.value, e.se, e.source, e.sample, e.method + "; industry and construction together",
            "No source splits industry from construction: both take the drift of their sum, i.e. the split is held constant.",
            assumption=True)
    _random_walk(b, "fx", np.log, "prices.fx_depreciation_mean", "prices.fx_depreciation_sd")
    _prices(b)
    trend = _growth(b)
    _disaster_probability(b)
    _investment_share(b)
    _trend_and_base_year(b, trend)
    pooled = [np.asarray(r.dropna(), dtype=float) for r in b.residuals.values() if r is not None]
    if pooled:
        est = student_t_df(np.concatenate(pooled))
        note = (f"Sampling se {est.se:.2g}; not drawn per path (the engine takes one tail weight for all shocks)."
                if est.se is not None else "")
        b.entries["shocks.student_t_df"] = Entry(est.value, None, "pooled standardised residuals of every fitted process",
                                                 est.sample, est.method, note)
    correlations = _correlations(b)
    return CalibrationRun(entries=b.entries, correlations=correlations, fallbacks=b.fallbacks, fits=b.fits,
                          data=data, aggregated=aggregated)
