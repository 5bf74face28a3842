"""The engine: draws, then the model year by year over a block of paths.

:func:`simulate_paths` is the whole model for one set of paths; it returns every series of
:data:`simulator.metrics.CATALOGUE` as an array (paths, years), column 0 the base year. The
Monte Carlo driver (:mod:`simulator.runner`) calls it chunk by chunk and keeps only summaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import draws
from .model import demography, labour, production, ratios, structure
from .model import prices as price_block
from .model.transforms import alr
from .parameters import SHOCKS, Calibration

_SHOCK = {name: i for i, name in enumerate(SHOCKS)}

# Parameters whose value is a shock scale: multiplied by the scenario's volatility_scale.
_SD_PARAMETERS = (
    "demography.population_growth_sd", "demography.urbanisation_logit_sd",
    "labour.employment_ratio_growth_sd", "labour.unemployment_sd",
    "labour.emp_structure_sd_agri", "labour.emp_structure_sd_industry_construction",
    "labour.trained_share_logit_sd", "production.tfp_growth_sd", "production.investment_realisation_sd",
    "structure.sd_agri", "structure.sd_industry", "structure.sd_construction", "structure.sd_taxes",
    "prices.deflator_growth_sd", "prices.fx_depreciation_sd",
    "public.revenue_ratio_sd", "external.export_ratio_sd", "social.income_ratio_sd",
)


@dataclass(frozen=True)
class ModelSetup:
    """Everything :func:`simulate_paths` needs besides the path indices.

    Attributes
    ----------
    calibration : Calibration
    years : array (H + 1,)
        Base year, then each simulated year.
    investment_share : array (H,) or None
        The lever for each simulated year; None means the calibrated mean.
    tfp_growth_boost : float
        Extra TFP growth a year (fraction).
    seed, block_size : int
        The random-number contract.
    parameter_uncertainty : bool
        Draw every parameter that has a standard error once per path.
    volatility_scale : float
        Multiplies every shock scale; 0 gives the deterministic path and no disasters.
    shock_factor : array (k, k)
        F with F·Fᵀ = the calibrated shock correlation.
    """

    calibration: Calibration
    years: np.ndarray
    investment_share: np.ndarray | None
    tfp_growth_boost: float
    seed: int
    block_size: int
    parameter_uncertainty: bool
    volatility_scale: float
    shock_factor: np.ndarray  # F with F·Fᵀ = the shock correlation (draws.correlation_factor)

    @property
    def uncertain_parameters(self) -> tuple[str, ...]:
        if not self.parameter_uncertainty:
            return ()
        return tuple(sorted(n for n, v in self.calibration.parameters.items() if v.se))



def parameter_values(setup: ModelSetup, block: int, n_paths: int) -> dict[str, float | np.ndarray]:
    """Parameter name -> float, or (paths, 1) array for the ones drawn per path."""
    params: dict[str, float | np.ndarray] = {n: v.value for n, v in setup.calibration.parameters.items()}
    names = setup.uncertain_parameters
    if names:
        values = [setup.calibration.parameters[n] for n in names]
        drawn = draws.parameter_draws(
            setup.seed, block, n_paths,
            np.array([v.value for v in values]), np.array([v.se for v in values]),
            np.array([v.lower for v in values]), np.array([v.upper for v in values]), block_size=setup.block_size)
        for j, name in enumerate(names):
            params[name] = drawn[:, j : j + 1]
    for name in _SD_PARAMETERS:
        params[name] = params[name] * setup.volatility_scale
    return params


def block_draws(setup: ModelSetup, block: int, n_paths: int, *, shock_out: np.ndarray | None = None):
    """Parameters, shocks (a (paths, H, k) view) and disaster flags (paths, H) of one block.

    ``shock_out``, a shock-major (k, H, paths) array, if given, receives the shocks (saves a copy
    when blocks are assembled into a chunk).
    """
    horizon = len(setup.years) - 1
    params = parameter_values(setup, block, n_paths)
    shocks = draws.shocks(setup.seed, block, n_paths, horizon, setup.shock_factor,
                          student_t_df=float(setup.calibration.value("shocks.student_t_df")),
                          block_size=setup.block_size, out=shock_out)
    probability = params["production.disaster_probability"]
    if setup.volatility_scale == 0:
        disaster = np.zeros((n_paths, horizon), dtype=bool)
    else:
        disaster = draws.disasters(setup.seed, block, n_paths, horizon, np.ravel(probability) if np.ndim(probability) else probability)
    return params, shocks, disaster


def _column(value) -> np.ndarray | float:
    """A (paths, 1) parameter as (paths,) for per-year equations; floats pass through."""
    return value[:, 0] if isinstance(value, np.ndarray) else value


def _rows(params: dict, names: tuple[str, ...]) -> np.ndarray:
    """Parameters of the components of a composition as rows: (components, 1) or (components, paths)."""
    values = [params[name] for name in names]
    if any(isinstance(v, np.ndarray) for v in values):
        return np.stack(np.broadcast_arrays(*values))
    return np.array(values)[:, None]


def simulate_paths(setup: ModelSetup, params: dict, shocks: np.ndarray, disaster: np.ndarray) -> dict[str, np.ndarray]:
    """Run the core model over one set of paths.

    Parameters
    ----------
    setup : ModelSetup
    params : dict
        From :func:`parameter_values`.
    shocks : array (paths, H, k)
        Unit-variance correlated shocks in :data:`SHOCKS` order.
    disaster : bool array (paths, H)

    Returns
    -------
    dict metric -> array (paths, H + 1)
    """
    cal = setup.calibration
    b = {name: v.value for name, v in cal.base.items()}
    p = {name: _column(v) for name, v in params.items()}
    n, horizon = shocks.shape[0], shocks.shape[1]

    def z(name: str, t: int) -> np.ndarray:
        return shocks[:, t, _SHOCK[name]]

    # Year-major storage: each year's write is contiguous; the (paths, years) views are returned.
    out = {name: np.empty((horizon + 1, n)) for name in _OUTPUT_NAMES}

    # ---- base year (column 0): data, and the levels that make the model reproduce them
    alpha = p["production.capital_share"]
    population = np.full(n, b["population_persons"])
    employment_ratio = np.full(n, b["employed_persons"] / b["population_persons"])
    employed = population * employment_ratio
    unemployment = np.full(n, b["unemployment_rate"])
    urban = np.full(n, b["urbanisation_rate"])
    trained = np.full(n, b["trained_labour_share"])
    # compositions: components first, paths last (see simulator.model.transforms.alr_inverse)
    base_jobs = np.array([b["emp_share_agri"], b["emp_share_industry_construction"], b["emp_share_services"]])
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
    human_capital = labour.human_capital_index(trained, return_to_training=p["labour.human_capital_return"])
    capital = p["production.capital_output_ratio"] * grdp_real
    tfp = production.tfp_level_for(grdp_real, capital, human_capital, employed, capital_share=alpha)
    tfp_growth = np.full(n, 1.0) * p["production.tfp_growth_initial"]
    invest_share = np.full(n, b["investment_share"])
    revenue_ratio = np.full(n, b["budget_revenue_bn_vnd"] / b["grdp_current_bn_vnd"])
    export_ratio = np.full(n, b["exports_musd"] * b["usd_vnd"] / (b["grdp_current_bn_vnd"] * 1e3))
    grdp_pc = grdp_current * 1e3 / population
    income_ratio = np.full(n, b["income_per_capita_month_mvnd"] * 12.0 / grdp_pc[0])
    lever = (setup.investment_share if setup.investment_share is not None
             else np.full(horizon, np.nan))

    log_y0, log_k0, log_e0 = np.log(grdp_real), np.log(capital), np.log(employed)

    def record(t: int, growth: np.ndarray) -> None:
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
        out["tfp_contribution"][t] = production.tfp_contribution(
            np.log(grdp_real) - log_y0, np.log(capital) - log_k0, np.log(employed) - log_e0, capital_share=alpha)
        out["labour_productivity_real_mvnd"][t] = grdp_real * 1e3 / employed
        for j, component in enumerate(structure.COMPONENTS):
            out[f"share_{component}"][t] = grdp_shares[j]
        out["share_industry_construction"][t] = grdp_shares[1] + grdp_shares[2]
        out["deflator_growth"][t] = np.expm1(deflator_growth)
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

    record(0, np.full(n, np.nan))
    investment_real = invest_share * grdp_real
    emp_drift = _rows(p, ("labour.emp_structure_drift_agri", "labour.emp_structure_drift_industry_construction"))
    emp_sd = _rows(p, ("labour.emp_structure_sd_agri", "labour.emp_structure_sd_industry_construction"))
    grdp_drift = _rows(p, tuple(f"structure.drift_{c}" for c in structure.COMPONENTS[:4]))
    grdp_sd = _rows(p, tuple(f"structure.sd_{c}" for c in structure.COMPONENTS[:4]))
    emp_idx = [_SHOCK["emp_structure_agri"], _SHOCK["emp_structure_industry_construction"]]
    grdp_idx = [_SHOCK[f"structure_{c}"] for c in structure.COMPONENTS[:4]]
    by_shock = shocks.T  # (k, H, paths): for the view the runner passes, each row is contiguous

    for t in range(1, horizon + 1):
        s = t - 1  # index into the (paths, H) draws
        population = demography.population_next(population, growth_mean=p["demography.population_growth_mean"],
                                                 growth_sd=p["demography.population_growth_sd"], shock=z("population", s))
        urban = demography.urbanisation_next(urban, logit_drift=p["demography.urbanisation_logit_drift"],
                                             logit_sd=p["demography.urbanisation_logit_sd"], shock=z("urbanisation", s))
        employment_ratio = labour.employment_ratio_next(employment_ratio, growth_mean=p["labour.employment_ratio_growth_mean"],
                                                        growth_sd=p["labour.employment_ratio_growth_sd"], shock=z("employment_ratio", s))
        employed = population * employment_ratio
        unemployment = labour.unemployment_next(unemployment, mean=p["labour.unemployment_mean"],
                                                persistence=p["labour.unemployment_persistence"],
                                                sd=p["labour.unemployment_sd"], shock=z("unemployment", s))
        emp_ratios, emp_shares = labour.employment_structure_next(emp_ratios, drift=emp_drift, sd=emp_sd,
                                                                  shocks=by_shock[emp_idx, s])
        trained = labour.trained_share_next(trained, logit_drift=p["labour.trained_share_logit_drift"],
                                            logit_sd=p["labour.trained_share_logit_sd"], shock=z("trained_share", s))
        human_capital = labour.human_capital_index(trained, return_to_training=p["labour.human_capital_return"])

        capital = production.capital_next(capital, investment_real, depreciation_rate=p["production.depreciation_rate"])
        tfp_growth = production.tfp_growth_next(tfp_growth, mean=p["production.tfp_growth_mean"], boost=setup.tfp_growth_boost,
                                                persistence=p["production.tfp_growth_persistence"],
                                                sd=p["production.tfp_growth_sd"], shock=z("tfp", s))
        tfp = tfp * np.exp(tfp_growth)
        previous_real = grdp_real
        loss = np.where(disaster[:, s], p["production.disaster_output_loss"], 0.0)
        grdp_real = production.output(tfp, capital, human_capital, employed, capital_share=alpha) * (1.0 - loss)
        lever_t = lever[s] if not np.isnan(lever[s]) else p["production.investment_share_mean"]
        invest_share = production.realised_investment_share(lever_t, realisation_sd=p["production.investment_realisation_sd"],
                                                            shock=z("investment", s))
        investment_real = invest_share * grdp_real

        grdp_ratios, grdp_shares = structure.sector_structure_next(grdp_ratios, drift=grdp_drift, sd=grdp_sd,
                                                                   shocks=by_shock[grdp_idx, s])
        deflator_growth = price_block.deflator_growth_next(deflator_growth, mean=p["prices.deflator_growth_mean"],
                                                           persistence=p["prices.deflator_persistence"],
                                                           sd=p["prices.deflator_growth_sd"], shock=z("deflator", s))
        deflator = deflator * np.exp(deflator_growth)
        usd_vnd = price_block.exchange_rate_next(usd_vnd, depreciation_mean=p["prices.fx_depreciation_mean"],
                                                 depreciation_sd=p["prices.fx_depreciation_sd"], shock=z("fx", s))
        grdp_current = grdp_real * deflator
        revenue_ratio = ratios.ratio_next(revenue_ratio, drift=p["public.revenue_ratio_drift"], sd=p["public.revenue_ratio_sd"], shock=z("revenue_ratio", s))
        export_ratio = ratios.ratio_next(export_ratio, drift=p["external.export_ratio_drift"], sd=p["external.export_ratio_sd"], shock=z("export_ratio", s))
        income_ratio = ratios.ratio_next(income_ratio, drift=p["social.income_ratio_drift"], sd=p["social.income_ratio_sd"], shock=z("income_ratio", s))
        record(t, grdp_real / previous_real - 1.0)
    return {name: values.T for name, values in out.items()}


# What each series is computed from: calibration names (base.* and parameters) and other series.
# Used to tell which results rest on an assumption rather than a source.
METRIC_INPUTS: dict[str, tuple[str, ...]] = {
    "population_persons": ("base.population_persons", "demography.population_growth_mean", "demography.population_growth_sd"),
    "urbanisation_rate": ("base.urbanisation_rate", "demography.urbanisation_logit_drift", "demography.urbanisation_logit_sd"),
    "employment_ratio": ("base.employed_persons", "base.population_persons", "labour.employment_ratio_growth_mean", "labour.employment_ratio_growth_sd"),
    "employed_persons": ("population_persons", "employment_ratio"),
    "unemployment_rate": ("base.unemployment_rate", "labour.unemployment_mean", "labour.unemployment_persistence", "labour.unemployment_sd"),
    "emp_share_agri": ("base.emp_share_agri", "base.emp_share_industry_construction", "base.emp_share_services",
                       "labour.emp_structure_drift_agri", "labour.emp_structure_drift_industry_construction",
                       "labour.emp_structure_sd_agri", "labour.emp_structure_sd_industry_construction"),
    "emp_share_industry_construction": ("emp_share_agri",),
    "emp_share_services": ("emp_share_agri",),
    "trained_labour_share": ("base.trained_labour_share", "labour.trained_share_logit_drift", "labour.trained_share_logit_sd"),
    "human_capital_index": ("trained_labour_share", "labour.human_capital_return"),
    "investment_share": ("base.investment_share", "production.investment_share_mean", "production.investment_realisation_sd"),
    "capital_real_bn_vnd": ("production.capital_output_ratio", "production.depreciation_rate", "investment_share", "base.grdp_current_bn_vnd", "base.grdp_deflator_index"),
    "tfp_index": ("production.tfp_growth_mean", "production.tfp_growth_persistence", "production.tfp_growth_sd", "production.tfp_growth_initial", "production.capital_share"),
    "grdp_real_bn_vnd": ("tfp_index", "capital_real_bn_vnd", "human_capital_index", "employed_persons", "production.capital_share",
                         "production.disaster_probability", "production.disaster_output_loss"),
    "grdp_real_growth": ("grdp_real_bn_vnd",),
    "tfp_contribution": ("grdp_real_bn_vnd",),
    "labour_productivity_real_mvnd": ("grdp_real_bn_vnd", "employed_persons"),
    "share_agri": ("base.share_agri", "base.share_industry", "base.share_construction", "base.share_taxes", "base.share_services",
                   "structure.drift_agri", "structure.drift_industry", "structure.drift_construction", "structure.drift_taxes",
                   "structure.sd_agri", "structure.sd_industry", "structure.sd_construction", "structure.sd_taxes"),
    "share_industry": ("share_agri",), "share_construction": ("share_agri",), "share_taxes": ("share_agri",),
    "share_services": ("share_agri",), "share_industry_construction": ("share_agri",),
    "deflator_growth": ("prices.deflator_growth_mean", "prices.deflator_persistence", "prices.deflator_growth_sd", "prices.deflator_growth_initial"),
    "deflator_index": ("deflator_growth", "base.grdp_deflator_index"),
    "usd_vnd": ("base.usd_vnd", "prices.fx_depreciation_mean", "prices.fx_depreciation_sd"),
    "grdp_current_bn_vnd": ("grdp_real_bn_vnd", "deflator_index"),
    "grdp_per_capita_mvnd": ("grdp_current_bn_vnd", "population_persons"),
    "labour_productivity_current_mvnd": ("grdp_current_bn_vnd", "employed_persons"),
    "investment_current_bn_vnd": ("investment_share", "grdp_current_bn_vnd"),
    "budget_revenue_bn_vnd": ("grdp_current_bn_vnd", "base.budget_revenue_bn_vnd", "public.revenue_ratio_drift", "public.revenue_ratio_sd"),
    "exports_musd": ("grdp_current_bn_vnd", "usd_vnd", "base.exports_musd", "external.export_ratio_drift", "external.export_ratio_sd"),
    "income_per_capita_month_mvnd": ("grdp_per_capita_mvnd", "base.income_per_capita_month_mvnd", "social.income_ratio_drift", "social.income_ratio_sd"),
}
_OUTPUT_NAMES = tuple(METRIC_INPUTS)


def calibration_inputs(metric: str) -> set[str]:
    """Every calibration name (``base.x`` or ``block.x``) a series depends on, transitively."""
    seen, stack, found = set(), [metric], set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for item in METRIC_INPUTS.get(name, ()):
            (stack.append(item) if item in METRIC_INPUTS else found.add(item))
    return found


def assumptions_behind(metric: str, calibration: Calibration) -> list[str]:
    """The calibration entries marked ``assumption = true`` that a series rests on."""
    names = []
    for item in sorted(calibration_inputs(metric)):
        entry = calibration.base.get(item[5:]) if item.startswith("base.") else calibration.parameters.get(item)
        if entry is not None and entry.assumption:
            names.append(item)
    return names
