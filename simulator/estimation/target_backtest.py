"""Backtest of the engine's probabilities of target statistics (``[target_backtest]``).

The process backtest (:mod:`simulator.estimation.backtest`) scores single series; this one scores
what the targets ask: the average real growth over h years (h = 1…5, the five-year average being
target 1c's statistic) and P(average growth ≥ c).

**Rolling origins over the provincial panel.** At each origin T, on the panel's log growth up to T
only (GRDP at constant 2010 prices of the panel class's provinces, one vintage):

* trend growth pooled across provinces with province effects: the panel OLS of the calibration
  (province dummies, a dummy for each COVID and rebound year of ``[sample]``;
  :func:`~simulator.estimation.estimators.panel_growth`), each province mean then shrunk toward
  the precision-weighted pooled mean by empirical Bayes (Morris 1983, doi:10.1080/01621459.1983.10477920):
  g_i = μ + B_i(ĝ_i − μ), B_i = τ²/(τ² + v_i), v_i the sampling variance of ĝ_i, τ² = max(0,
  var(ĝ) − mean(v)), se_i² = B_i·v_i + (1 − B_i)²·var(μ);
* the TFP-shock sd: the panel's residual scale (the calibration's reading: growth net of the
  province means and the dummies), with ``other_shocks`` less the labour input's shocks,
  σ_A² = σ_Y² − (1 − α)²σ_E² (:func:`~simulator.estimation.estimators.net_of_labour_shocks`), as
  the calibration sets the engine's;
* TFP persistence: AR(1) of the national growth series up to T with the same dummies (as the
  calibration estimates it);
* the disaster probability: episodes of the COVID years within the record up to T (none before
  2020), binomial se; its loss: 1 − exp(worst COVID dummy), delta-method se.

Then ``paths`` futures a province are simulated with the engine's own equations and shock family:
``production.tfp_growth_next``, ``capital_next``, ``output`` (Y = A·K^α·(h·E)^(1−α)), the base
normalisation of :func:`simulator.engine.derived_values` (K/Y = s/(δ + e^g − 1), μ_A = (1 − α)(g −
g_E − g_h), TFP growth at T = μ_A + (g_T − g)), the one-year disaster loss, and — with
``other_shocks`` — the employment-ratio, population, training and investment-realisation shocks
with the engine calibration's scales and correlations. Every parameter is drawn per path as a
truncated normal (:func:`simulator.draws.truncated_normal`); shocks are Student-t when the
calibration (or the config) says so. The primitives the panel cannot give (capital share,
depreciation, investment share, employment, population and training processes) are the engine
calibration's, drawn with their standard errors. An origin in a COVID year starts from a level
depressed by that episode's dummies, recovered the next year as the engine's disaster is.

**Naive benchmark:** the province's own past average log growth carried forward, with normal
errors of the pooled within-province sd of annual growth divided by √h (independent years), no
parameter uncertainty.

**Scores** of every case with a realised value: PIT, coverage of the central 50 / 80 / 90 %
bands, empirical CRPS, and for P(average ≥ c) at the fixed thresholds and at the realised value
plus the offsets, the Brier score and the log score (p clipped to [1/(2n), 1 − 1/(2n)] for n
paths); a reliability table of the fixed-threshold probabilities.

**The former units.** Their annual growth as the calibration reads it (``units_source``) gives
one-year-ahead cases, fitted the same way on the three units up to each origin. Their past plan
targets (and those of every province of the panel) are hit-or-miss events: P(average over the
plan's years ≥ the target's minimum) at the plan's base year, against the outcome on the
back-series where the panel covers the period and as reported (for a 2021–2025 term of a
province that merged in 2025, the successor area's reported outcome, forecast on the summed
levels of its former provinces).

**Effective number of independent cases** (overlapping windows share years, provinces share
national shocks): :func:`simulator.outside_view.effective_spells` with the variance components of
the data's annual growth. Deterministic: origin T of scope j draws from ``SeedSequence(seed,
spawn_key=(j, T))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..draws import correlate, correlation_factor, truncated_normal
from ..errors import InputError
from ..model import demography, labour, production
from ..outside_view import (Reference, VarianceComponents, effective_spells, load_reference, summed_levels,
                            variance_components)
from ..parameters import PARAMETER_SPEC, SHOCKS, Calibration, load_calibration
from .backtest import BANDS, crps_sample, nothing_scored
from .config import CalibrateConfig, TargetBacktestConfig
from .data import Observations, series
from .estimators import Estimate, ar1, disaster_frequency, net_of_labour_shocks, panel_growth

#: The engine's shocks that move real GRDP, in the order drawn (the first is TFP's).
GROWTH_SHOCKS = ("tfp", "investment", "employment_ratio", "population", "population_drift",
                 "population_irregular", "trained_share")
#: Engine primitives drawn from the calibration (the panel cannot estimate them).
ENGINE_PRIMITIVES = (
    "production.capital_share", "production.depreciation_rate", "production.investment_share_mean",
    "production.investment_realisation_sd", "demography.population_growth_mean", "demography.population_growth_sd",
    "demography.population_drift_sd", "demography.population_irregular_sd", "labour.employment_ratio_growth_mean",
    "labour.employment_ratio_growth_sd", "labour.trained_share_logit_drift", "labour.trained_share_logit_sd",
    "labour.human_capital_return",
)
#: Shock scales zeroed without ``other_shocks`` (the TFP shock alone moves growth).
OTHER_SHOCK_SCALES = ("production.investment_realisation_sd", "demography.population_growth_sd",
                      "demography.population_drift_sd", "demography.population_irregular_sd",
                      "labour.employment_ratio_growth_sd", "labour.trained_share_logit_sd")


# ------------------------------------------------------------------------------------ estimation
@dataclass(frozen=True)
class GrowthFit:
    """The engine's growth process estimated at one origin, per region (log points a year)."""

    origin: int
    regions: tuple[str, ...]
    trend: np.ndarray
    trend_se: np.ndarray
    pooled: float
    between_sd: float
    sd: float
    sd_se: float
    persistence: float
    persistence_se: float
    disaster_probability: float
    disaster_probability_se: float
    loss: float
    loss_se: float
    state: np.ndarray       # growth at the origin net of its dummy (the TFP gap is state − g)
    depressed: float        # log level depression at the origin (≤ 0), recovered the next year
    n_obs: int
    naive_mean: np.ndarray  # the naive benchmark: past mean log growth per region ...
    naive_sd: float         # ... and the pooled within-region sd of annual log growth

    def row(self) -> dict:
        return {"origin": self.origin, "regions": len(self.regions), "observations": self.n_obs,
                "pooled_trend": self.pooled, "between_sd": self.between_sd, "tfp_sd": self.sd, "tfp_sd_se": self.sd_se,
                "persistence": self.persistence, "persistence_se": self.persistence_se,
                "disaster_probability": self.disaster_probability, "disaster_loss": self.loss,
                "naive_sd": self.naive_sd}


def fit_growth(panel: dict[str, pd.Series], *, origin: int, national: pd.Series, covid_years=(), rebound_years=(),
               disaster_record: tuple[int, int], min_years: int) -> GrowthFit:
    """Estimate the growth process on log growth up to ``origin`` (see the module docstring).

    ``panel`` maps a region to its log growth by year; a region enters with at least
    ``min_years`` years up to the origin, the origin among them. Raises ValueError when fewer than
    two regions qualify or the national series is too short for the AR(1).
    """
    kept = {}
    for region, x in panel.items():
        x = x[x.index <= origin].dropna()
        if len(x) >= min_years and origin in x.index:
            kept[region] = x
    if len(kept) < 2:
        raise ValueError(f"fewer than two regions with {min_years} growth years up to {origin}")
    dummies = tuple(covid_years) + tuple(rebound_years)
    fit = panel_growth(kept, dummy_years=dummies)
    regions = tuple(kept)
    a = np.array([fit.unit_means[r] for r in regions])
    v = np.diag(fit.unit_cov).copy()
    tau2 = max(float(np.var(a, ddof=1) - v.mean()), 0.0)
    w = 1.0 / (tau2 + v)
    pooled = float(np.sum(w * a) / np.sum(w))
    var_pooled = float(1.0 / np.sum(w))
    shrink = tau2 / (tau2 + v)
    trend = pooled + shrink * (a - pooled)
    trend_se = np.sqrt(shrink * v + (1.0 - shrink) ** 2 * var_pooled)
    effects = {y: e.value for y, e in fit.year_effects.items()}
    state = np.array([kept[r].loc[origin] - effects.get(origin, 0.0) for r in regions])
    depressed = 0.0
    if origin in covid_years:
        year = origin
        while year in covid_years:
            depressed += effects.get(year, 0.0)
            year -= 1
    national = national[national.index <= origin].dropna()
    persistence = ar1(national, dummy_years=dummies)
    first, last = disaster_record
    probability, _, years = disaster_frequency(covid_years, first=first, last=min(last, origin))
    covid = [fit.year_effects[y] for y in covid_years if y in fit.year_effects]
    _, lower, upper = PARAMETER_SPEC["production.disaster_output_loss"]
    if covid:
        worst = min(covid, key=lambda e: e.value)
        loss = float(np.clip(-np.expm1(worst.value), lower, upper))
        loss_se = float(np.exp(worst.value) * (worst.se or 0.0))
    else:
        loss, loss_se = 0.0, 0.0
    means = np.array([kept[r].mean() for r in regions])
    deviations = np.concatenate([kept[r].to_numpy() - m for r, m in zip(regions, means)])
    naive_sd = float(np.sqrt(np.sum(deviations**2) / max(len(deviations) - len(regions), 1)))
    return GrowthFit(origin, regions, trend, trend_se, pooled, float(np.sqrt(tau2)), fit.sd.value, fit.sd.se or 0.0,
                     persistence.persistence.value, persistence.persistence.se or 0.0, probability,
                     float(np.sqrt(probability * (1.0 - probability) / years)), loss, loss_se, state, depressed,
                     int(sum(len(x) for x in kept.values())), means, naive_sd)


# ------------------------------------------------------------------------------------ simulation
@dataclass(frozen=True)
class EngineInputs:
    """What the simulation takes from the engine calibration: primitives (value, se, bounds), the
    base-year trained share and employment ratio, the correlation of the growth shocks, and ν."""

    primitives: dict[str, tuple[float, float, float, float]]
    trained_share: float
    employment_ratio: float
    correlation: np.ndarray
    student_t_df: float

    @classmethod
    def from_calibration(cls, calibration: Calibration, *, student_t_df: float | None = None) -> "EngineInputs":
        prims = {}
        for name in ENGINE_PRIMITIVES:
            v = calibration.parameters[name]
            prims[name] = (v.value, v.se or 0.0, v.lower, v.upper)
        index = [SHOCKS.index(s) for s in GROWTH_SHOCKS]
        corr = np.asarray(calibration.correlation)[np.ix_(index, index)]
        df = calibration.value("shocks.student_t_df") if student_t_df is None else student_t_df
        base = calibration.base
        return cls(prims, base["trained_labour_share"].value,
                   base["employed_persons"].value / base["population_persons"].value, corr, float(df))


def _draw(rng, shape, value, se, lower, upper) -> np.ndarray:
    """Per-path draws: the engine's truncated normal around value with se; a constant without se."""
    if not se or se <= 0:
        return np.full(shape, float(np.clip(value, lower, upper)))
    return truncated_normal(rng.standard_normal(shape), mean=float(value), se=float(se), lower=lower, upper=upper)


def simulate_growth(fit: GrowthFit, engine: EngineInputs, *, n: int, horizon: int, rng,
                    other_shocks: bool = True, regions: list[int] | None = None) -> np.ndarray:
    """Log growth of real GRDP, (regions, n, horizon), from the engine's equations (module docstring)."""
    idx = list(range(len(fit.regions))) if regions is None else list(regions)
    r = len(idx)
    shape = (r, n)
    bounds = {name: PARAMETER_SPEC[name][1:] for name in PARAMETER_SPEC}
    g = np.stack([_draw(rng, (n,), fit.trend[i], fit.trend_se[i], *bounds["production.trend_growth"]) for i in idx])
    sd, sd_se = fit.sd, fit.sd_se
    if other_shocks:  # the labour input's shocks are in the panel's residual already (as the calibration reads it)
        labour_sd, labour_se = engine.primitives["labour.employment_ratio_growth_sd"][:2]
        net = net_of_labour_shocks(Estimate(fit.sd, fit.sd_se, "", ""), labour_sd=labour_sd, labour_sd_se=labour_se or 0.0,
                                   capital_share=engine.primitives["production.capital_share"][0])
        sd, sd_se = (net.value, net.se) if net is not None else (0.0, 0.0)
    sigma = _draw(rng, shape, sd, sd_se, *bounds["production.tfp_growth_sd"])
    rho = _draw(rng, shape, fit.persistence, fit.persistence_se, *bounds["production.tfp_growth_persistence"])
    p_dis = _draw(rng, shape, fit.disaster_probability, fit.disaster_probability_se,
                  *bounds["production.disaster_probability"])
    loss = _draw(rng, shape, fit.loss, fit.loss_se, *bounds["production.disaster_output_loss"])
    p = {name: _draw(rng, shape, *spec) for name, spec in engine.primitives.items()}
    if not other_shocks:
        for name in OTHER_SHOCK_SCALES:
            p[name] = np.zeros(shape)
    alpha, delta, share = (p["production.capital_share"], p["production.depreciation_rate"],
                           p["production.investment_share_mean"])
    psi = p["labour.human_capital_return"]
    trained0 = engine.trained_share
    human_growth = production.trained_share_growth_of_human_capital(
        return_to_training=psi, logit_drift=p["labour.trained_share_logit_drift"], trained_share=trained0)
    mu = production.tfp_trend_growth(capital_share=alpha, output_growth=g,
                                     employment_growth=p["demography.population_growth_mean"]
                                     + p["labour.employment_ratio_growth_mean"], human_capital_growth=human_growth)
    k = len(GROWTH_SHOCKS) if other_shocks else 1
    eps = rng.standard_normal((k, horizon, r, n))
    z = correlate(correlation_factor(engine.correlation[:k, :k]), eps)
    if engine.student_t_df > 2:
        chi2 = rng.chisquare(engine.student_t_df, (horizon, r, n))
        z = z * np.sqrt((engine.student_t_df - 2.0) / chi2)
    if k == 1:
        z = np.concatenate([z, np.zeros((len(GROWTH_SHOCKS) - 1, horizon, r, n))])
    shock = dict(zip(GROWTH_SHOCKS, z))
    disaster = rng.random((horizon, r, n)) < p_dis

    potential = np.exp(-fit.depressed)          # the observed origin level is 1
    log_trend = np.zeros(shape)
    drift = np.array(p["demography.population_growth_mean"], dtype=float)
    ratio = np.full(shape, engine.employment_ratio)
    trained = np.full(shape, trained0)
    human = labour.human_capital_index(trained, return_to_training=psi)
    employed = ratio
    capital = production.steady_state_capital_output(investment_share=share, depreciation_rate=delta, growth=g) * potential
    tfp = production.tfp_level_for(potential, capital, human, employed, capital_share=alpha)
    tfp_growth = mu + (fit.state[idx][:, None] - g)
    investment = share * 1.0
    previous = np.ones(shape)
    out = np.empty((r, n, horizon))
    for t in range(horizon):
        log_trend, drift, population = demography.population_trend_next(
            log_trend, drift, migration=0.0, level_sd=p["demography.population_growth_sd"],
            level_shock=shock["population"][t], drift_sd=p["demography.population_drift_sd"],
            drift_shock=shock["population_drift"][t], irregular_sd=p["demography.population_irregular_sd"],
            irregular_shock=shock["population_irregular"][t])
        ratio = labour.employment_ratio_next(ratio, growth_mean=p["labour.employment_ratio_growth_mean"],
                                             growth_sd=p["labour.employment_ratio_growth_sd"],
                                             shock=shock["employment_ratio"][t])
        employed = population * ratio
        trained = labour.trained_share_next(trained, logit_drift=p["labour.trained_share_logit_drift"],
                                            logit_sd=p["labour.trained_share_logit_sd"], shock=shock["trained_share"][t])
        human = labour.human_capital_index(trained, return_to_training=psi)
        capital = production.capital_next(capital, investment, depreciation_rate=delta)
        tfp_growth = production.tfp_growth_next(tfp_growth, mean=mu, boost=0.0, persistence=rho, sd=sigma,
                                                shock=shock["tfp"][t])
        tfp = tfp * np.exp(tfp_growth)
        level = production.output(tfp, capital, human, employed, capital_share=alpha)
        level = level * (1.0 - np.where(disaster[t], loss, 0.0))
        realised = production.realised_investment_share(share, realisation=1.0, history_ratio=1.0,
                                                        realisation_sd=p["production.investment_realisation_sd"],
                                                        shock=shock["investment"][t])
        investment = realised * level
        out[:, :, t] = np.log(level) - np.log(previous)
        previous = level
    return out


def naive_growth(fit: GrowthFit, *, n: int, horizon: int, rng, regions: list[int] | None = None) -> np.ndarray:
    """The naive benchmark's average log growth over h = 1…horizon years, (regions, n, horizon)."""
    idx = list(range(len(fit.regions))) if regions is None else list(regions)
    h = np.arange(1, horizon + 1)
    z = rng.standard_normal((len(idx), n, horizon))
    return fit.naive_mean[idx][:, None, None] + fit.naive_sd / np.sqrt(h)[None, None, :] * z


def average_rate(log_growth: np.ndarray) -> np.ndarray:
    """Compound average growth over h = 1…H years from yearly log growth (…, H): exp(mean) − 1."""
    h = np.arange(1, log_growth.shape[-1] + 1)
    return np.expm1(np.cumsum(log_growth, axis=-1) / h)


# ---------------------------------------------------------------------------------------- scores
def _clip(p: np.ndarray, n: int) -> np.ndarray:
    return np.clip(p, 0.5 / n, 1.0 - 0.5 / n)


def log_score(p: np.ndarray, outcome: np.ndarray, n: int) -> np.ndarray:
    """−[o·ln p + (1 − o)·ln(1 − p)], p clipped to [1/(2n), 1 − 1/(2n)] (n paths)."""
    q = _clip(np.asarray(p, dtype=float), n)
    o = np.asarray(outcome, dtype=float)
    return -(o * np.log(q) + (1.0 - o) * np.log1p(-q))


def score_sample(sample: np.ndarray, y: float, prefix: str) -> dict:
    """PIT, band hits, CRPS and median of one forecast sample at the realised y."""
    levels = [0.5] + [q for band in BANDS for q in ((1 - band) / 2, (1 + band) / 2)]
    quantiles = np.quantile(sample, levels)
    out = {f"{prefix}pit": float(np.mean(sample <= y)), f"{prefix}median": float(quantiles[0])}
    for j, band in enumerate(BANDS):
        lo, hi = quantiles[1 + 2 * j], quantiles[2 + 2 * j]
        out[f"{prefix}in{int(band * 100)}"] = bool(lo <= y <= hi)
    out[f"{prefix}crps"] = crps_sample(sample, y)
    return out


@dataclass(frozen=True)
class TargetBacktestResult:
    """Every scored case, probability and event, with the fits and what was skipped.

    Attributes
    ----------
    scores : one row per case: scope (``panel`` or ``units``), region, origin, horizon, realised,
        model_* and naive_* (pit, median, in50/in80/in90, crps).
    probabilities : one row per case and threshold: kind (``fixed``/``offset``), threshold,
        outcome, p_model, p_naive.
    events : one row per past plan target scored: region, forecast_region, period, target_min,
        p_model, p_naive, the back-series and reported outcomes and hits.
    fits : one row per scope and origin (the estimates).
    skipped : scope, region, origin, reason.
    effective : {(scope, horizon): n_eff}; ``("events", 0)`` for the events.
    """

    scores: pd.DataFrame
    probabilities: pd.DataFrame
    events: pd.DataFrame
    fits: pd.DataFrame
    skipped: pd.DataFrame
    effective: dict
    paths: int
    seed: int
    student_t_df: float
    other_shocks: bool
    #: Named subsets of the panel's regions summarised on their own (the config's report_classes).
    subsets: dict = field(default_factory=dict)
    #: The first disaster year of the sample: windows ending before it are scored apart.
    disaster_year: int | None = None


def _rng(seed: int, scope: int, origin: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(scope, origin))))


def _score_cases(scope: str, fit: GrowthFit, model: np.ndarray, naive: np.ndarray, realised, spec, paths,
                 rows: list, probs: list, only: set | None = None) -> None:
    """Score (regions, n, H) samples of average growth against realised[(region, horizon)]."""
    fixed = np.asarray(spec.thresholds)
    offsets = np.asarray(spec.offsets)
    for i, region in enumerate(fit.regions):
        if only is not None and region not in only:
            continue
        for h in range(1, model.shape[2] + 1):
            y = realised(region, fit.origin, h)
            if y is None:
                continue
            m, nv = model[i, :, h - 1], naive[i, :, h - 1]
            rows.append({"scope": scope, "region": region, "origin": fit.origin, "horizon": h, "realised": y,
                         **score_sample(m, y, "model_"), **score_sample(nv, y, "naive_")})
            for kind, cs in (("fixed", fixed), ("offset", y + offsets)):
                pm = np.mean(m[:, None] >= cs[None, :], axis=0)
                pn = np.mean(nv[:, None] >= cs[None, :], axis=0)
                for c, a, b in zip(cs, pm, pn):
                    probs.append({"scope": scope, "region": region, "origin": fit.origin, "horizon": h, "kind": kind,
                                  "threshold": float(c), "outcome": bool(y >= c), "p_model": float(a),
                                  "p_naive": float(b)})


def _log_growth_frame(levels: pd.DataFrame) -> dict[str, pd.Series]:
    growth = np.log(levels).diff()
    return {str(r): growth[r].dropna() for r in growth.columns}


def _realised_from_levels(levels: pd.DataFrame):
    def realised(region, origin, h):
        if region not in levels.columns or origin not in levels.index or origin + h not in levels.index:
            return None
        y0, y1 = levels.at[origin, region], levels.at[origin + h, region]
        if not (np.isfinite(y0) and np.isfinite(y1)):
            return None
        return float((y1 / y0) ** (1.0 / h) - 1.0)
    return realised


def run_target_backtest(config: CalibrateConfig, observations: Observations, *, paths: int | None = None,
                        seed: int | None = None, reference: Reference | None = None,
                        calibration: Calibration | None = None) -> TargetBacktestResult:
    """Run the target backtest of the config's ``[target_backtest]`` (see the module docstring)."""
    spec: TargetBacktestConfig = config.target_backtest
    paths = paths or spec.paths
    seed = spec.seed if seed is None else seed
    reference = reference or load_reference(config.resolve(spec.outside_view))
    for key, names in (("panel_class", (spec.panel_class,)), ("report_classes", spec.report_classes)):
        for name in names:
            if name not in reference.class_regions:
                raise InputError(f"'{name}' is not a class of {reference.config.path} ({', '.join(reference.class_regions)})",
                                 file=config.path, key=f"target_backtest.{key}")
    calibration = calibration or load_calibration(config.resolve(spec.calibration))
    engine = EngineInputs.from_calibration(calibration, student_t_df=spec.student_t_df)
    sample = config.sample
    common = dict(covid_years=sample.covid_years, rebound_years=sample.rebound_years,
                  disaster_record=sample.disaster_record, min_years=spec.min_years)
    national_source = config.sources[spec.persistence_source]
    national = np.log1p(series(observations.selected, national_source.regions[0], national_source.indicator))

    panel_regions = reference.class_regions[spec.panel_class]
    levels = reference.levels[list(panel_regions)]
    panel = _log_growth_frame(levels)
    realised = _realised_from_levels(levels)
    horizon = max(spec.horizon, max(spec.event_spans, default=1))

    rows, probs, fits, skipped = [], [], [], []
    simulated: dict[int, tuple[GrowthFit, np.ndarray, np.ndarray]] = {}

    def run_origin(origin: int):
        if origin in simulated:
            return simulated[origin]
        rng = _rng(seed, 0, origin)
        fit = fit_growth(panel, origin=origin, national=national, **common)
        model = average_rate(simulate_growth(fit, engine, n=paths, horizon=horizon, rng=rng,
                                             other_shocks=spec.other_shocks))
        naive = np.expm1(naive_growth(fit, n=paths, horizon=horizon, rng=rng))
        fits.append({"scope": "panel", **fit.row()})
        simulated[origin] = (fit, model, naive)
        return simulated[origin]

    for origin in spec.origins:
        try:
            fit, model, naive = run_origin(origin)
        except ValueError as exc:
            skipped.append(("panel", "", origin, str(exc)))
            continue
        view_model, view_naive = model[:, :, :spec.horizon], naive[:, :, :spec.horizon]
        _score_cases("panel", fit, view_model, view_naive, realised, spec, paths, rows, probs)

    # the former units' one-year-ahead cases, on the calibration's data
    units, units_realised = {}, {}
    if spec.unit_origins:
        units_source = config.sources[spec.units_source]
        units = {r: np.log1p(series(observations.selected, r, units_source.indicator)) for r in units_source.regions}
        units_realised = {r: np.expm1(s) for r, s in units.items()}

    def realised_units(region, origin, h):
        s = units_realised.get(region)
        if h != 1 or s is None or origin + 1 not in s.index:
            return None
        return float(s.loc[origin + 1])

    for origin in spec.unit_origins:
        rng = _rng(seed, 2, origin)
        try:
            fit = fit_growth(units, origin=origin, national=national, **common)
        except ValueError as exc:
            skipped.append(("units", "", origin, str(exc)))
            continue
        for region in units:
            if region not in fit.regions:
                skipped.append(("units", region, origin, "no growth in the origin year or too few years"))
        model = average_rate(simulate_growth(fit, engine, n=paths, horizon=1, rng=rng, other_shocks=spec.other_shocks))
        naive = np.expm1(naive_growth(fit, n=paths, horizon=1, rng=rng))
        fits.append({"scope": "units", **fit.row()})
        _score_cases("units", fit, model, naive, realised_units, spec, paths, rows, probs)

    events = _events(reference, panel_regions, levels, panel, national, engine, spec, common, paths, seed,
                     run_origin, skipped)

    scores = pd.DataFrame(rows)
    if scores.empty:  # every origin skipped, or no realised value within the horizon
        raise nothing_scored("case", spec.origins, [reason for *_, reason in skipped], file=config.path,
                             key="target_backtest")
    effective = {}
    panel_vc = variance_components(pd.DataFrame(panel))
    units_vc = _components(units) if units else panel_vc
    for (scope, h), group in scores.groupby(["scope", "horizon"]):
        vc = panel_vc if scope == "panel" else units_vc
        cases = [(r, o + 1, o + h) for r, o in zip(group.region, group.origin)]
        effective[(scope, int(h))] = effective_spells(cases, vc)
    if not events.empty:
        effective[("events", 0)] = effective_spells(
            [(r, a, b) for r, a, b in zip(events.forecast_region, events.first, events["last"])], panel_vc)
    return TargetBacktestResult(scores, pd.DataFrame(probs), events, pd.DataFrame(fits),
                                pd.DataFrame(skipped, columns=["scope", "region", "origin", "reason"]), effective,
                                paths, seed, engine.student_t_df, spec.other_shocks,
                                {name: reference.class_regions[name] for name in spec.report_classes},
                                min(sample.covid_years) if sample.covid_years else None)


def _components(panel: dict[str, pd.Series]) -> VarianceComponents:
    frame = pd.DataFrame(panel)
    try:
        return variance_components(frame)
    except ValueError:
        return VarianceComponents(0.0, 0.0, float(np.nanvar(frame.to_numpy(), ddof=1)), int(frame.notna().sum().sum()))


def _events(reference: Reference, panel_regions, levels, panel, national, engine, spec, common, paths, seed,
            run_origin, skipped) -> pd.DataFrame:
    """Past plan targets of the panel's regions as hit-or-miss events (module docstring)."""
    chosen = reference.rows
    table = {(r.region, int(r.year), r.indicator): r for r in chosen.itertuples(index=False)}
    merged = reference.config.merged
    merger_year = reference.config.merger_year
    first_level, last_level = int(levels.index.min()), int(levels.index.max())
    out = []
    aggregates: dict[tuple[str, int], tuple[GrowthFit, np.ndarray, np.ndarray]] = {}
    for (region, year, indicator), row in sorted(table.items()):
        if region not in panel_regions or not indicator.startswith("growth_target_min_"):
            continue
        k = int(indicator.removeprefix("growth_target_min_").removesuffix("yr"))
        if k not in spec.event_spans:
            continue
        first, origin = year - k + 1, year - k
        own = table.get((region, year, f"growth_outcome_{k}yr_reported"))
        successor = next((s for s, parts in merged.items() if region in parts), None)
        forecast_region, reported = region, own
        if own is None and year > last_level and successor and merger_year is not None and year >= merger_year:
            forecast_region, reported = successor, table.get((successor, year, f"growth_outcome_{k}yr_reported"))
        if not (first_level + spec.min_years <= origin <= last_level):
            skipped.append(("events", region, origin, f"the {first}–{year} target's base year is outside the panel "
                            f"({first_level}–{last_level}) or has fewer than {spec.min_years} growth years"))
            continue
        try:
            if forecast_region == region:
                fit, model, naive = run_origin(origin)
                i = fit.regions.index(region)
                back_levels = levels
            else:
                key = (forecast_region, origin)
                if key not in aggregates:
                    parts = merged[forecast_region]
                    summed = summed_levels(reference.panel, parts).frame().iloc[:, 0]
                    sub = {r: s for r, s in panel.items() if r not in parts}
                    sub[forecast_region] = np.log(summed).diff().dropna()
                    fit = fit_growth(sub, origin=origin, national=national, **common)
                    j = fit.regions.index(forecast_region)
                    rng = _rng(seed, 1, origin * 100 + sorted(merged).index(forecast_region))
                    model = average_rate(simulate_growth(fit, engine, n=paths, horizon=k, rng=rng,
                                                         other_shocks=spec.other_shocks, regions=[j]))
                    naive = np.expm1(naive_growth(fit, n=paths, horizon=k, rng=rng, regions=[j]))
                    aggregates[key] = (fit, model, naive)
                fit, model, naive = aggregates[key]
                i = 0
                back_levels = summed_levels(reference.panel, merged[forecast_region], forecast_region).frame()
        except (ValueError, KeyError) as exc:
            skipped.append(("events", region, origin, str(exc)))
            continue
        threshold = float(row.value) / 100.0
        p_model = float(np.mean(model[i, :, k - 1] >= threshold - 1e-12))
        p_naive = float(np.mean(naive[i, :, k - 1] >= threshold - 1e-12))
        back = _realised_from_levels(back_levels)(forecast_region, origin, k)
        out.append({"region": region, "forecast_region": forecast_region, "first": first, "last": year, "span": k,
                    "target_min": float(row.value), "p_model": p_model, "p_naive": p_naive,
                    "outcome_backseries": None if back is None else 100.0 * back,
                    "hit_backseries": None if back is None else bool(back >= threshold - 1e-12),
                    "outcome_reported": None if reported is None else float(reported.value),
                    "hit_reported": None if reported is None else bool(float(reported.value) >= float(row.value) - 1e-12),
                    "target_source": row.source, "outcome_source": "" if reported is None else reported.source})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------- summary
def horizon_frame(result: TargetBacktestResult) -> pd.DataFrame:
    """Per scope and horizon: cases, n_eff, coverage, mean PIT, CRPS, Brier and log scores."""
    if result.scores.empty:
        return pd.DataFrame()
    out = []
    probs = result.probabilities
    for (scope, h), g in result.scores.groupby(["scope", "horizon"]):
        p = probs[(probs.scope == scope) & (probs.horizon == h)]
        fixed, offset = p[p.kind == "fixed"], p[p.kind == "offset"]
        row = {"scope": scope, "horizon": int(h), "cases": len(g), "n_effective": result.effective.get((scope, int(h)))}
        for who in ("model", "naive"):
            for band in BANDS:
                row[f"{who}_in{int(band * 100)}"] = g[f"{who}_in{int(band * 100)}"].mean()
            row[f"{who}_pit_mean"] = g[f"{who}_pit"].mean()
            row[f"{who}_crps"] = g[f"{who}_crps"].mean()
            row[f"{who}_brier_fixed"] = float(np.mean((fixed[f"p_{who}"] - fixed.outcome) ** 2)) if len(fixed) else np.nan
            row[f"{who}_log_fixed"] = float(np.mean(log_score(fixed[f"p_{who}"], fixed.outcome, result.paths))) \
                if len(fixed) else np.nan
            row[f"{who}_brier_offset"] = float(np.mean((offset[f"p_{who}"] - offset.outcome) ** 2)) if len(offset) else np.nan
        out.append(row)
    return pd.DataFrame(out)


def subset_frame(result: TargetBacktestResult, *, horizon: int) -> pd.DataFrame:
    """The panel's cases at one horizon, all and by subset (the report classes; the windows
    that end before the first disaster year and those that reach into it)."""
    s = result.scores
    if s.empty:
        return pd.DataFrame()
    s = s[(s.scope == "panel") & (s.horizon == horizon)]
    parts = [("all provinces", s)] + [(name, s[s.region.isin(regions)]) for name, regions in result.subsets.items()]
    if result.disaster_year is not None:
        parts += [(f"windows ending before {result.disaster_year}", s[s.origin + s.horizon < result.disaster_year]),
                  (f"windows reaching {result.disaster_year} or later", s[s.origin + s.horizon >= result.disaster_year])]
    p = result.probabilities
    top = max(p.threshold[p.kind == "fixed"], default=np.nan)
    out = []
    for name, g in parts:
        if g.empty:
            continue
        keys = set(zip(g.region, g.origin))
        q = p[(p.scope == "panel") & (p.horizon == horizon) & (p.kind == "fixed") & (p.threshold == top)]
        q = q[[k in keys for k in zip(q.region, q.origin)]]
        out.append({"subset": name, "cases": len(g), "realised_mean": g.realised.mean(),
                    "model_median_mean": g.model_median.mean(), "naive_median_mean": g.naive_median.mean(),
                    "model_in50": g.model_in50.mean(), "model_in80": g.model_in80.mean(), "model_in90": g.model_in90.mean(),
                    "model_pit_mean": g.model_pit.mean(), "model_crps": g.model_crps.mean(), "naive_crps": g.naive_crps.mean(),
                    "threshold": top, "observed_top": q.outcome.mean(), "p_model_top": q.p_model.mean(),
                    "p_naive_top": q.p_naive.mean()})
    return pd.DataFrame(out)


def threshold_frame(result: TargetBacktestResult, *, scope: str = "panel", horizon: int = 5) -> pd.DataFrame:
    """P(average ≥ c) at each fixed threshold: mean forecast, realised frequency, Brier scores."""
    p = result.probabilities
    p = p[(p.scope == scope) & (p.horizon == horizon) & (p.kind == "fixed")]
    out = []
    for c, g in p.groupby("threshold"):
        out.append({"threshold": c, "cases": len(g), "observed": g.outcome.mean(), "p_model": g.p_model.mean(),
                    "p_naive": g.p_naive.mean(), "brier_model": float(np.mean((g.p_model - g.outcome) ** 2)),
                    "brier_naive": float(np.mean((g.p_naive - g.outcome) ** 2))})
    return pd.DataFrame(out)


def reliability_frame(result: TargetBacktestResult, *, bins: int = 10, scope: str = "panel",
                      horizon: int | None = None) -> pd.DataFrame:
    """Reliability of the fixed-threshold probabilities: per bin of the forecast P, the number of
    forecasts, their mean and the observed frequency (model and naive)."""
    p = result.probabilities
    p = p[(p.scope == scope) & (p.kind == "fixed")]
    if horizon is not None:
        p = p[p.horizon == horizon]
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for who in ("model", "naive"):
        k = np.clip(np.digitize(p[f"p_{who}"], edges[1:-1]), 0, bins - 1)
        for b in range(bins):
            g = p[k == b]
            out.append({"forecast": who, "bin_low": edges[b], "bin_high": edges[b + 1], "n": len(g),
                        "mean_p": g[f"p_{who}"].mean() if len(g) else np.nan,
                        "observed": g.outcome.mean() if len(g) else np.nan})
    return pd.DataFrame(out)


def pit_counts(result: TargetBacktestResult, bins: int = 10) -> pd.DataFrame:
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for (scope, h), g in result.scores.groupby(["scope", "horizon"]):
        m = np.histogram(g.model_pit, edges)[0]
        nv = np.histogram(g.naive_pit, edges)[0]
        for b in range(bins):
            out.append({"scope": scope, "horizon": int(h), "bin_low": edges[b], "bin_high": edges[b + 1],
                        "model_count": int(m[b]), "naive_count": int(nv[b])})
    return pd.DataFrame(out)


def _f(x, digits=3) -> str:
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{digits}f}"


def render_target_summary(result: TargetBacktestResult, config: CalibrateConfig) -> str:
    """The Markdown summary of the target backtest."""
    spec = config.target_backtest
    shocks = f"Student-t, ν = {result.student_t_df:g}" if result.student_t_df > 2 else "normal (the calibration's ν = 0)"
    lines = ["# Backtest of the engine's target probabilities", "",
             f"Rolling origins {', '.join(map(str, spec.origins))} over the provincial panel (class "
             f"`{spec.panel_class}` of `{spec.outside_view}`); horizons 1–{spec.horizon} years; {result.paths} paths a "
             f"province, seed {result.seed}; shocks {shocks}; "
             + ("the engine's other shocks (employment ratio, population, training, investment) added"
                if result.other_shocks else "TFP shocks only")
             + ". Each origin re-estimates the growth process on the panel up to it. Naive = the province's own past "
             "average growth, normal errors of the pooled within-province sd/√h. Coverage: share of realised averages "
             "inside the central band (nominal 0.50 / 0.80 / 0.90); lower CRPS, Brier and log scores are better. "
             "n_eff: effective number of independent cases (overlapping windows share years, provinces share "
             "national shocks).", "",
             "## Average growth over h years (panel)", "",
             "| h | cases | n_eff | cover 50 / 80 / 90 | mean PIT | CRPS model / naive | Brier model / naive | "
             "log score model / naive |", "|---|---|---|---|---|---|---|---|"]
    hf = horizon_frame(result)
    for r in hf.itertuples(index=False):
        lines.append(f"| {r.horizon}{' (units)' if r.scope == 'units' else ''} | {r.cases} | {_f(r.n_effective, 1)} | "
                     f"{_f(r.model_in50, 2)} / {_f(r.model_in80, 2)} / {_f(r.model_in90, 2)} "
                     f"(naive {_f(r.naive_in50, 2)} / {_f(r.naive_in80, 2)} / {_f(r.naive_in90, 2)}) | "
                     f"{_f(r.model_pit_mean, 2)} | {_f(r.model_crps, 4)} / {_f(r.naive_crps, 4)} | "
                     f"{_f(r.model_brier_fixed)} / {_f(r.naive_brier_fixed)} | {_f(r.model_log_fixed)} / "
                     f"{_f(r.naive_log_fixed)} |")
    lines += ["", "Brier and log scores: P(average ≥ c) at the fixed thresholds "
              f"{', '.join(f'{c:.0%}' for c in spec.thresholds)}; `target_scores.csv` and `target_probabilities.csv` "
              "hold every case (the offset thresholds around the realised value too).", "",
              f"## P(average growth ≥ c) over {spec.horizon} years (panel)", "",
              "| c | cases | realised share | mean P model | mean P naive | Brier model | Brier naive |",
              "|---|---|---|---|---|---|---|"]
    for r in threshold_frame(result, horizon=spec.horizon).itertuples(index=False):
        lines.append(f"| {r.threshold:.0%} | {r.cases} | {r.observed:.3f} | {r.p_model:.3f} | {r.p_naive:.3f} | "
                     f"{r.brier_model:.3f} | {r.brier_naive:.3f} |")
    sub = subset_frame(result, horizon=spec.horizon)
    if not sub.empty:
        top = sub.threshold.iloc[0]
        lines += ["", f"## By subset, {spec.horizon}-year averages", "",
                  f"| subset | cases | realised mean | forecast median (model / naive) | cover 50 / 80 / 90 | mean PIT | "
                  f"CRPS model / naive | P(≥ {top:.0%}): realised / model / naive |", "|---|---|---|---|---|---|---|---|"]
        for r in sub.itertuples(index=False):
            lines.append(f"| {r.subset} | {r.cases} | {r.realised_mean:.2%} | {r.model_median_mean:.2%} / "
                         f"{r.naive_median_mean:.2%} | {r.model_in50:.2f} / {r.model_in80:.2f} / {r.model_in90:.2f} | "
                         f"{r.model_pit_mean:.2f} | {r.model_crps:.4f} / {r.naive_crps:.4f} | {r.observed_top:.3f} / "
                         f"{r.p_model_top:.3f} / {r.p_naive_top:.3f} |")
    lines += ["", "## Reliability (fixed thresholds, all horizons, panel)", "",
              "| forecast P | n (model) | mean P | observed | n (naive) | mean P | observed |", "|---|---|---|---|---|---|---|"]
    rel = reliability_frame(result, bins=spec.reliability_bins)
    for b in range(spec.reliability_bins):
        m = rel[(rel.forecast == "model")].iloc[b]
        nv = rel[(rel.forecast == "naive")].iloc[b]
        lines.append(f"| {m.bin_low:.1f}–{m.bin_high:.1f} | {m.n} | {_f(m.mean_p)} | {_f(m.observed)} | {nv.n} | "
                     f"{_f(nv.mean_p)} | {_f(nv.observed)} |")
    units = result.scores[result.scores.scope == "units"] if not result.scores.empty else result.scores
    own = list(config.sources[spec.units_source].regions) if spec.units_source in config.sources else []
    panel_own = result.scores[(result.scores.scope == "panel") & result.scores.region.isin(own)] \
        if not result.scores.empty else result.scores
    lines += ["", "## The former units", ""]
    if len(panel_own):
        g = panel_own
        lines.append(f"- On the panel ({', '.join(own)}): {len(g)} cases (all horizons); coverage 50 / 80 / 90 "
                     f"{g.model_in50.mean():.2f} / {g.model_in80.mean():.2f} / {g.model_in90.mean():.2f}; CRPS model "
                     f"{g.model_crps.mean():.4f}, naive {g.naive_crps.mean():.4f}.")
    if len(units):
        g = units
        lines.append(f"- One year ahead on the calibration's own growth data (`{spec.units_source}`, origins "
                     f"{', '.join(map(str, sorted(set(g.origin))))}): {len(g)} cases, n_eff "
                     f"{_f(result.effective.get(('units', 1)), 1)}; coverage 50 / 80 / 90 {g.model_in50.mean():.2f} / "
                     f"{g.model_in80.mean():.2f} / {g.model_in90.mean():.2f}; CRPS model {g.model_crps.mean():.4f}, "
                     f"naive {g.naive_crps.mean():.4f}.")
        for r in g.itertuples(index=False):
            lines.append(f"  - {r.region} {r.origin + 1}: realised {r.realised:.2%}, model median {r.model_median:.2%} "
                         f"(PIT {r.model_pit:.2f}), naive median {r.naive_median:.2%}")
    ev = result.events
    lines += ["", "## Past plan targets as hit-or-miss events", ""]
    if ev.empty:
        lines.append("None could be scored.")
    else:
        lines += ["P = the forecast at the plan's base year that the average growth over the plan's years reaches the "
                  "target's minimum. Outcome on the back-series (the panel's levels) and as reported at the end of the "
                  "period (an early estimate).", "",
                  "| region | period | target | P model | P naive | back-series | reported |", "|---|---|---|---|---|---|---|"]
        for r in ev.itertuples(index=False):
            who = r.region if r.forecast_region == r.region else f"{r.region} (→ {r.forecast_region})"
            back = "—" if r.outcome_backseries is None or pd.isna(r.outcome_backseries) else \
                f"{r.outcome_backseries:.2f} ({'hit' if r.hit_backseries else 'miss'})"
            rep = "—" if r.outcome_reported is None or pd.isna(r.outcome_reported) else \
                f"{r.outcome_reported:.2f} ({'hit' if r.hit_reported else 'miss'})"
            lines.append(f"| {who} | {r.first}–{r.last} | {r.target_min:g} | {r.p_model:.3f} | {r.p_naive:.3f} | "
                         f"{back} | {rep} |")
        lines.append("")
        for kind in ("backseries", "reported"):
            g = ev[ev[f"hit_{kind}"].notna()]
            if len(g):
                o = g[f"hit_{kind}"].astype(float)
                lines.append(f"- Against the {kind.replace('backseries', 'back-series')} outcomes: {len(g)} events, "
                             f"{int(o.sum())} hits; mean P model {g.p_model.mean():.3f}, naive {g.p_naive.mean():.3f}; "
                             f"Brier model {np.mean((g.p_model - o) ** 2):.3f}, naive {np.mean((g.p_naive - o) ** 2):.3f}.")
        lines.append(f"- Effective number of independent events: {_f(result.effective.get(('events', 0)), 1)}.")
    fits = result.fits
    if not fits.empty:
        lines += ["", "## Estimates at each origin", "",
                  "| scope | origin | regions | obs | pooled trend | between sd | TFP sd | persistence | disaster p | loss |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in fits.itertuples(index=False):
            lines.append(f"| {r.scope} | {r.origin} | {r.regions} | {r.observations} | {r.pooled_trend:.4f} | "
                         f"{r.between_sd:.4f} | {r.tfp_sd:.4f} | {r.persistence:.2f} ± {r.persistence_se:.2f} | "
                         f"{r.disaster_probability:.3f} | {r.disaster_loss:.3f} |")
    if not result.skipped.empty:
        lines += ["", "## Skipped", ""]
        for r in result.skipped.itertuples(index=False):
            lines.append(f"- {r.scope} {r.region or 'all'} {r.origin}: {r.reason}")
    lines += ["", "With few effective cases, coverage and Brier scores carry sampling error of ±0.1 or more: read them "
              "as a check for gross miscalibration, not a precise measurement."]
    return "\n".join(lines) + "\n"


def output_files(result: TargetBacktestResult, config: CalibrateConfig) -> dict[str, str]:
    """File name -> text of every output of the target backtest (CSV and the Markdown summary)."""
    spec = config.target_backtest

    def csv(frame: pd.DataFrame) -> str:
        return frame.to_csv(index=False, float_format="%.6g")

    return {"target_scores.csv": csv(result.scores), "target_probabilities.csv": csv(result.probabilities),
            "target_horizons.csv": csv(horizon_frame(result)),
            "target_subsets.csv": csv(pd.concat([subset_frame(result, horizon=h).assign(horizon=h)
                                                 for h in range(1, spec.horizon + 1)], ignore_index=True)
                                      if not result.scores.empty else pd.DataFrame()),
            "target_reliability.csv": csv(reliability_frame(result, bins=spec.reliability_bins)),
            "target_pit.csv": csv(pit_counts(result)) if not result.scores.empty else "",
            "target_events.csv": csv(result.events), "target_fits.csv": csv(result.fits),
            "target_skipped.csv": csv(result.skipped), "target_summary.md": render_target_summary(result, config)}
