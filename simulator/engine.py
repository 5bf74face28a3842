"""The engine: ``simulate(inputs, draws, levers) → outcomes``, a pure function.

Per path it turns the raw draws into parameter values (each primitive: its estimate plus its
standard error times its normal, clipped to its bounds), derives the quantities the calibration
ties to them (K/Y, trend TFP growth, the base-year TFP level and growth) so that every path
reproduces the base year and its own balanced trend, then runs the core model year by year,
the satellite models on the same paths and the prior targets' draws. It reads no file and draws
no random number: one :class:`~simulator.draws.Draws` serves every lever variant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .draws import Draws, truncated_normal
from .errors import InputError
from .inputs import Inputs
from .levers import ResolvedLevers
from .model import demography, labour, production, ratios, structure
from .model import prices as price_block
from .model.transforms import alr, alr_inverse, expit, logit, logit_step
from .parameters import DERIVED, SHOCKS
from .priors import prior_hits
from .satellites.engine import satellite_parameter_values, simulate_satellites

_SHOCK = {name: i for i, name in enumerate(SHOCKS)}

#: Parameters whose value is a shock scale: multiplied by the scenario's volatility_scale.
SD_PARAMETERS = (
    "demography.population_growth_sd", "demography.population_irregular_sd", "demography.population_drift_sd",
    "demography.urbanisation_logit_sd",
    "labour.employment_ratio_growth_sd", "labour.unemployment_sd",
    "labour.emp_structure_sd_agri", "labour.emp_structure_sd_industry_construction",
    "labour.trained_share_logit_sd", "production.tfp_growth_sd", "production.investment_realisation_sd",
    "structure.sd_agri", "structure.sd_industry", "structure.sd_construction", "structure.sd_taxes",
    "prices.deflator_growth_sd", "prices.fx_depreciation_sd",
    "public.revenue_ratio_sd", "external.export_ratio_sd", "social.income_ratio_sd",
)

#: Every core series, in the order they are stored.
CORE_SERIES = (
    "population_persons", "urbanisation_rate", "employment_ratio", "employed_persons", "unemployment_rate",
    "emp_share_agri", "emp_share_industry_construction", "emp_share_services", "trained_labour_share",
    "human_capital_index", "investment_share", "capital_real_bn_vnd", "tfp_index", "grdp_real_bn_vnd",
    "grdp_real_growth", "tfp_contribution", "tfp_contribution_annual", "tfp_contribution_points",
    "labour_productivity_real_mvnd", "share_agri", "share_industry",
    "share_construction", "share_taxes", "share_services", "share_industry_construction", "deflator_growth",
    "deflator_index", "usd_vnd", "grdp_current_bn_vnd", "grdp_per_capita_mvnd", "labour_productivity_current_mvnd",
    "investment_current_bn_vnd", "budget_revenue_bn_vnd", "exports_musd", "income_per_capita_month_mvnd",
)


@dataclass(frozen=True)
class Outcomes:
    """What the model produced on one set of paths.

    Attributes
    ----------
    series : dict metric -> array (paths, H + 1)
        Every simulated series, column 0 the base year.
    prior_hits : bool array (paths, k)
        Hits of the prior targets, in ``inputs.priors.ids`` order.
    parameters : dict name -> float or array (paths,)
        The values each path used: primitives (drawn or fixed) and the derived quantities
        (``production.capital_output_ratio``, ``production.tfp_growth_mean``, ...).
    """

    series: dict[str, np.ndarray]
    prior_hits: np.ndarray
    parameters: dict[str, float | np.ndarray]

    @property
    def n_paths(self) -> int:
        return self.prior_hits.shape[0]


def parameter_values(inputs: Inputs, draws: Draws, *, fixed: dict | None = None) -> dict[str, float | np.ndarray]:
    """Core parameters of each path: name -> float, or (paths,) for the drawn and fixed ones.

    A drawn primitive is a normal around its estimate with its standard error, truncated to its
    bounds (:func:`simulator.draws.truncated_normal`); ``fixed`` replaces primitives by
    given values (a float, or an array (paths,)), e.g. the sample rows of a sensitivity analysis.
    Shock scales are multiplied by the scenario's volatility scale.
    """
    cal = inputs.calibration
    params: dict[str, float | np.ndarray] = {n: v.value for n, v in cal.parameters.items()}
    for row, name in enumerate(inputs.contract.parameters):
        v = cal.parameters[name]
        params[name] = truncated_normal(draws.parameters[row], mean=v.value, se=v.se, lower=v.lower, upper=v.upper)
    for name, value in (fixed or {}).items():
        if name in DERIVED:
            raise InputError(f"'{name}' is derived on every path: {DERIVED[name]}; fix the primitives instead",
                             file="argument parameters", key=name)
        if name not in params:
            raise InputError(f"unknown parameter '{name}'", file="argument parameters", key=name)
        params[name] = value
    for name in SD_PARAMETERS:
        params[name] = params[name] * inputs.volatility_scale
    return params


def derived_values(params: dict, base: dict[str, float]) -> dict[str, float | np.ndarray]:
    """The quantities the calibration ties to the primitives, re-derived on every path.

    - K/Y = s/(δ + e^g − 1): the balanced path of the capital equation at the path's historical
      investment share s and trend growth g (:func:`~simulator.model.production.steady_state_capital_output`);
    - μ_A = (1 − α)(g − g_E − g_h), g_E = n + g_e the employment drift, g_h = ψ·β·p₀(1 − p₀)
      (:func:`~simulator.model.production.tfp_trend_growth`);
    - g_A,base = μ_A + (g_base − g): the base year's gap to the trend put on TFP.
    """
    g = params["production.trend_growth"]
    employment = params["demography.population_growth_mean"] + params["labour.employment_ratio_growth_mean"]
    human = production.trained_share_growth_of_human_capital(
        return_to_training=params["labour.human_capital_return"], logit_drift=params["labour.trained_share_logit_drift"],
        trained_share=trained_base(params, base))
    mu = production.tfp_trend_growth(capital_share=params["production.capital_share"], output_growth=g,
                                     employment_growth=employment, human_capital_growth=human)
    return {
        "production.capital_output_ratio": production.steady_state_capital_output(
            investment_share=params["production.investment_share_mean"],
            depreciation_rate=params["production.depreciation_rate"], growth=g),
        "production.tfp_growth_mean": mu,
        "production.tfp_growth_initial": mu + params["production.base_year_growth"] - g,
    }


def shifted_share(share: float, error: float | np.ndarray) -> float | np.ndarray:
    """A base share that is an estimate, off by ``error`` on the logit scale; the share itself,
    exactly, where the error is 0 (the central path)."""
    return share if not np.any(error) else expit(logit(share) + error)


def trained_base(params: dict, base: dict) -> float | np.ndarray:
    """The base year's trained-labour share of each path (``labour.trained_share_base_error``): the
    derived TFP trend and the year loop read the same value, so each path's identity holds."""
    return shifted_share(base["trained_labour_share"], params["labour.trained_share_base_error"])


def _rows(params: dict, names: tuple[str, ...]) -> np.ndarray:
    """Parameters of the components of a composition as rows: (components, 1) or (components, paths)."""
    values = [params[name] for name in names]
    if any(np.ndim(v) for v in values):
        return np.stack(np.broadcast_arrays(*values))
    return np.array(values)[:, None]


@dataclass(frozen=True)
class PathValues:
    """What each path's draws give before any lever acts: the values of the core parameters
    (drawn, fixed and derived), of the satellite parameters, and the prior targets' hits.

    Variants that differ only in their levers have the same values on the same draws, so the
    runner computes them once per chunk for all of them (:func:`path_values`)."""

    parameters: dict[str, float | np.ndarray]
    satellite_parameters: dict[str, float | np.ndarray] | None
    prior_hits: np.ndarray

    def take(self, paths: np.ndarray) -> "PathValues":
        """The values of some of the paths (indices), as :meth:`simulator.draws.Draws.take`."""
        def cut(values):
            return None if values is None else {k: (v[paths] if np.ndim(v) else v) for k, v in values.items()}
        return PathValues(cut(self.parameters), cut(self.satellite_parameters), self.prior_hits[paths])


def path_values(inputs: Inputs, draws: Draws, *, fixed: dict | None = None) -> PathValues:
    """The :class:`PathValues` of the draws' paths under the inputs' calibration (``fixed`` as in
    :func:`parameter_values`)."""
    params = parameter_values(inputs, draws, fixed=fixed)
    base = {name: v.value for name, v in inputs.calibration.base.items()}
    params.update(derived_values(params, base))
    satellite = satellite_parameter_values(inputs, draws) if inputs.satellites is not None else None
    return PathValues(params, satellite, prior_hits(inputs.priors, draws))


def simulate(inputs: Inputs, draws: Draws, levers: ResolvedLevers | None = None, *,
             fixed: dict | None = None, values: PathValues | None = None) -> Outcomes:
    """Run the model over the paths of one set of draws.

    Parameters
    ----------
    inputs : Inputs
    draws : Draws
        From :func:`simulator.draws.draw` with ``inputs.contract``.
    levers : ResolvedLevers, optional
        The levers of these paths (per-path arrays already cut to them); default ``inputs.levers``.
    fixed : dict, optional
        Primitive parameters fixed to given values (float or array (paths,)) instead of drawn.
    values : PathValues, optional
        The paths' values from :func:`path_values` with the same inputs, draws and ``fixed``
        (computed here when not given).

    Returns
    -------
    Outcomes
    """
    levers = inputs.levers if levers is None else levers
    values = path_values(inputs, draws, fixed=fixed) if values is None else values
    params = dict(values.parameters)
    base = {name: v.value for name, v in inputs.calibration.base.items()}
    series = _core(inputs, params, base, draws, levers)
    if inputs.satellites is not None:
        sat_params = values.satellite_parameters
        series.update(simulate_satellites(inputs.satellites, series, sat_params, draws,
                                          volatility_scale=inputs.volatility_scale))
        params.update({f"sat.{k}": v for k, v in sat_params.items() if np.ndim(v)})
    return Outcomes(series=series, prior_hits=values.prior_hits, parameters=params)


def _core(inputs: Inputs, p: dict, b: dict, draws: Draws, lv: ResolvedLevers) -> dict[str, np.ndarray]:
    """The core model's year loop; every series (paths, H + 1)."""
    shocks = draws.shocks  # (k, H, paths): each series' shocks of one year are contiguous
    n, horizon = draws.n_paths, inputs.horizon

    def z(name: str, s: int) -> np.ndarray:
        return shocks[_SHOCK[name], s]

    out = {name: np.empty((horizon + 1, n)) for name in CORE_SERIES}  # year-major: each year's write is contiguous

    # ---- base year (column 0): data, and the levels that make the model reproduce them on every path
    alpha = p["production.capital_share"]
    # levels that grow by log changes are carried in logs too: each year's level is one exp, and
    # output and the growth accounting read the logs with no log taken again
    population = np.full(n, b["population_persons"])
    log_population_trend = np.log(population)
    log_population = log_population_trend
    population_drift = np.full(n, 1.0) * p["demography.population_growth_mean"]
    employment_ratio = np.full(n, b["employed_persons"] / b["population_persons"])
    log_employment_ratio = np.log(employment_ratio)
    employed = population * employment_ratio
    # base rates that are estimates (no 2025 survey figure) are off by an error of their own: 0 on the central path
    unemployment = np.maximum(np.full(n, b["unemployment_rate"]) + p["labour.unemployment_base_error"], 0.0)
    urban = np.full(n, 1.0) * shifted_share(b["urbanisation_rate"], p["demography.urbanisation_base_error"])
    urban_logit = logit(urban)  # shares on a logistic trend step their logit (transforms.logit_step)
    trained0 = trained_base(p, b)
    trained = np.full(n, 1.0) * trained0
    trained_logit = logit(trained)
    # compositions: components first, paths last (see simulator.model.transforms.alr_inverse)
    base_jobs = np.array([b["emp_share_agri"], b["emp_share_industry_construction"], b["emp_share_services"]])
    # the base split is an estimate (no labour-force survey figure): off by an error on the log-ratio scale
    jobs_error = _rows(p, ("labour.emp_structure_base_error_agri", "labour.emp_structure_base_error_industry_construction"))
    if np.any(jobs_error):
        emp_ratios = np.broadcast_to(alr(base_jobs)[:, None] + jobs_error, (2, n))
        emp_shares = alr_inverse(emp_ratios, axis=0)
    else:  # the split as given, exactly
        emp_ratios = np.broadcast_to(alr(base_jobs)[:, None], (2, n))
        emp_shares = np.broadcast_to(base_jobs[:, None], (3, n))
    base_shares = np.array([b[f"share_{c}"] for c in structure.COMPONENTS])
    grdp_ratios = np.broadcast_to(alr(base_shares)[:, None], (4, n))
    grdp_shares = np.broadcast_to(base_shares[:, None], (5, n))
    deflator = np.full(n, b["grdp_deflator_index"])
    deflator_growth = np.full(n, 1.0) * p["prices.deflator_growth_initial"]
    usd_vnd = np.full(n, b["usd_vnd"])
    grdp_current = np.full(n, b["grdp_current_bn_vnd"])
    grdp_real = grdp_current / deflator
    psi = p["labour.human_capital_return"]
    human_capital = labour.human_capital_index(trained, return_to_training=psi)
    capital = p["production.capital_output_ratio"] * grdp_real
    log_y0, log_k0, log_e0 = np.log(grdp_real), np.log(capital), np.log(employed)
    # the level that makes Y = A·K^α·(h·E)^(1−α) reproduce the base year (production.tfp_level_for), in logs
    log_tfp = log_y0 - production.log_output(0.0, log_k0, psi * trained, log_e0, capital_share=alpha)
    tfp = np.exp(log_tfp)
    tfp_growth = np.full(n, 1.0) * p["production.tfp_growth_initial"]
    history_share = p["production.investment_share_mean"]
    history_ratio = history_share / inputs.calibration.value("production.investment_share_mean")
    invest_share = np.full(n, 1.0) * history_share  # the base year on the path's own history
    revenue_ratio = np.full(n, b["budget_revenue_bn_vnd"] / b["grdp_current_bn_vnd"])
    export_ratio = np.full(n, b["exports_musd"] * b["usd_vnd"] / (b["grdp_current_bn_vnd"] * 1e3))
    # survey income has no base-year figure for the unit: the base is an estimate, off by e^error
    income_ratio = np.full(n, b["income_per_capita_month_mvnd"] * 12.0 / (b["grdp_current_bn_vnd"] * 1e3
                                                                          / b["population_persons"]))
    income_ratio = income_ratio * np.exp(p["social.income_base_error"])
    logs = [log_y0, log_k0, log_e0]  # last year's, for the annual contributions
    weight = p["accounting.capital_weight"]
    deflator_factor = np.exp(deflator_growth)  # e^π, whose π the record keeps as a rate

    def record(t: int, growth: np.ndarray, now: list[np.ndarray]) -> None:
        """Store year t; ``now`` is [ln Y, ln K, ln E] of that year."""
        out["population_persons"][t] = population
        out["urbanisation_rate"][t] = urban
        out["employment_ratio"][t] = employment_ratio
        out["employed_persons"][t] = employed
        out["unemployment_rate"][t] = unemployment
        out["emp_share_agri"][t] = emp_shares[0]
        out["emp_share_industry_construction"][t] = emp_shares[1]
        out["emp_share_services"][t] = emp_shares[2]
        out["trained_labour_share"][t] = trained
        out["human_capital_index"][t] = human_capital
        out["investment_share"][t] = invest_share
        out["capital_real_bn_vnd"][t] = capital
        out["tfp_index"][t] = tfp
        out["grdp_real_bn_vnd"][t] = grdp_real
        out["grdp_real_growth"][t] = growth
        since_base = (now[0] - log_y0, now[1] - log_k0, now[2] - log_e0)
        out["tfp_contribution"][t] = production.tfp_contribution(*since_base, capital_weight=weight, years=max(t, 1))
        out["tfp_contribution_annual"][t] = production.tfp_contribution(
            now[0] - logs[0], now[1] - logs[1], now[2] - logs[2], capital_weight=weight)
        out["tfp_contribution_points"][t] = production.tfp_residual(*since_base, capital_weight=weight) / max(t, 1)
        logs[:] = now
        out["labour_productivity_real_mvnd"][t] = grdp_real * 1e3 / employed
        for j, component in enumerate(structure.COMPONENTS):
            out[f"share_{component}"][t] = grdp_shares[j]
        out["share_industry_construction"][t] = grdp_shares[1] + grdp_shares[2]
        out["deflator_growth"][t] = deflator_factor - 1.0
        out["deflator_index"][t] = deflator
        out["usd_vnd"][t] = usd_vnd
        out["grdp_current_bn_vnd"][t] = grdp_current
        out["grdp_per_capita_mvnd"][t] = grdp_current * 1e3 / population
        out["labour_productivity_current_mvnd"][t] = grdp_current * 1e3 / employed
        out["investment_current_bn_vnd"][t] = invest_share * grdp_current
        out["budget_revenue_bn_vnd"][t] = revenue_ratio * grdp_current
        out["exports_musd"][t] = ratios.exports_musd(export_ratio, grdp_current, usd_vnd)
        out["income_per_capita_month_mvnd"][t] = ratios.income_per_capita_month_mvnd(
            income_ratio, grdp_current * 1e3 / population)

    record(0, np.full(n, np.nan), [log_y0, log_k0, log_e0])
    investment_real = invest_share * grdp_real
    emp_drift = _rows(p, ("labour.emp_structure_drift_agri", "labour.emp_structure_drift_industry_construction"))
    emp_sd = _rows(p, ("labour.emp_structure_sd_agri", "labour.emp_structure_sd_industry_construction"))
    grdp_drift = _rows(p, tuple(f"structure.drift_{c}" for c in structure.COMPONENTS[:4]))
    grdp_sd = _rows(p, tuple(f"structure.sd_{c}" for c in structure.COMPONENTS[:4]))
    emp_idx = [_SHOCK["emp_structure_agri"], _SHOCK["emp_structure_industry_construction"]]
    grdp_idx = [_SHOCK[f"structure_{c}"] for c in structure.COMPONENTS[:4]]
    trained_boost = lv["trained_share_boost"] / (trained0 * (1.0 - trained0))  # points a year → logit at the base share
    disaster = draws.disaster_uniform < p["production.disaster_probability"] if inputs.volatility_scale > 0 else None
    log_disaster_keep = np.log1p(-np.asarray(p["production.disaster_output_loss"], dtype=float))  # ln(1 − loss)

    for t in range(1, horizon + 1):
        s = t - 1  # index into the (H, paths) draws and levers
        log_population_trend, population_drift, log_population = demography.log_population_trend_next(
            log_population_trend, population_drift, migration=lv["net_migration_boost"][s],
            level_sd=p["demography.population_growth_sd"], level_shock=z("population", s),
            drift_sd=p["demography.population_drift_sd"], drift_shock=z("population_drift", s),
            irregular_sd=p["demography.population_irregular_sd"], irregular_shock=z("population_irregular", s))
        population = np.exp(log_population)
        # demography.urbanisation_next, on the logit
        urban_logit = logit_step(urban_logit, drift=p["demography.urbanisation_logit_drift"],
                                 sd=p["demography.urbanisation_logit_sd"], shock=z("urbanisation", s))
        urban = expit(urban_logit)
        log_employment_ratio = labour.log_employment_ratio_next(
            log_employment_ratio, growth_mean=p["labour.employment_ratio_growth_mean"] + lv["employment_ratio_boost"][s],
            growth_sd=p["labour.employment_ratio_growth_sd"], shock=z("employment_ratio", s))
        employment_ratio = np.exp(log_employment_ratio)
        employed = population * employment_ratio
        log_employed = log_population + log_employment_ratio
        unemployment = labour.unemployment_next(unemployment, mean=p["labour.unemployment_mean"],
                                                persistence=p["labour.unemployment_persistence"],
                                                sd=p["labour.unemployment_sd"], shock=z("unemployment", s))
        emp_ratios, emp_shares = labour.employment_structure_next(emp_ratios, drift=emp_drift, sd=emp_sd,
                                                                  shocks=shocks[emp_idx, s])
        # labour.trained_share_next, on the logit
        trained_logit = logit_step(trained_logit, drift=p["labour.trained_share_logit_drift"] + trained_boost[s],
                                   sd=p["labour.trained_share_logit_sd"], shock=z("trained_share", s))
        trained = expit(trained_logit)
        human_capital = labour.human_capital_index(trained, return_to_training=psi)

        capital = production.capital_next(capital, investment_real, depreciation_rate=p["production.depreciation_rate"])
        tfp_growth = production.tfp_growth_next(tfp_growth, mean=p["production.tfp_growth_mean"],
                                                boost=lv["tfp_growth_boost"][s],
                                                persistence=p["production.tfp_growth_persistence"],
                                                sd=p["production.tfp_growth_sd"], shock=z("tfp", s))
        log_tfp = log_tfp + tfp_growth
        tfp = np.exp(log_tfp)
        previous_real = grdp_real
        log_capital = np.log(capital)
        log_y = production.log_output(log_tfp, log_capital, psi * trained, log_employed, capital_share=alpha)
        if disaster is not None:  # a disaster year loses a share of output: Y·(1 − loss)
            log_y = log_y + np.where(disaster[s], log_disaster_keep, 0.0)
        grdp_real = np.exp(log_y)
        invest_share = production.realised_investment_share(
            lv["investment_share"][s], realisation=lv["investment_realisation"][s], history_ratio=history_ratio,
            realisation_sd=p["production.investment_realisation_sd"], shock=z("investment", s))
        investment_real = invest_share * grdp_real

        grdp_ratios, grdp_shares = structure.sector_structure_next(grdp_ratios, drift=grdp_drift, sd=grdp_sd,
                                                                   shocks=shocks[grdp_idx, s])
        deflator_growth = price_block.deflator_growth_next(deflator_growth, mean=p["prices.deflator_growth_mean"],
                                                           persistence=p["prices.deflator_persistence"],
                                                           sd=p["prices.deflator_growth_sd"], shock=z("deflator", s))
        deflator_factor = np.exp(deflator_growth)
        deflator = deflator * deflator_factor
        usd_vnd = price_block.exchange_rate_next(usd_vnd, depreciation_mean=p["prices.fx_depreciation_mean"],
                                                 depreciation_sd=p["prices.fx_depreciation_sd"], shock=z("fx", s))
        grdp_current = grdp_real * deflator
        revenue_ratio = ratios.ratio_next(revenue_ratio, drift=p["public.revenue_ratio_drift"] + lv["revenue_ratio_boost"][s],
                                          sd=p["public.revenue_ratio_sd"], shock=z("revenue_ratio", s))
        export_ratio = ratios.ratio_next(export_ratio, drift=p["external.export_ratio_drift"] + lv["export_growth_boost"][s],
                                         sd=p["external.export_ratio_sd"], shock=z("export_ratio", s))
        income_ratio = ratios.ratio_next(income_ratio, drift=p["social.income_ratio_drift"], sd=p["social.income_ratio_sd"],
                                         shock=z("income_ratio", s))
        record(t, grdp_real / previous_real - 1.0, [log_y, log_capital, log_employed])
    return {name: values.T for name, values in out.items()}
