"""The satellite models' parameters and year loop over one set of paths.

The satellites run after the core model on the same paths: they read its series (population,
income, deflator, GRDP per capita, real GRDP) and add their own. Their raw draws come from the
chunk's :class:`~simulator.draws.Draws` (streams the core never uses), so results are identical
whatever the chunking, and the same draws serve every variant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..draws import truncated_normal
from ..metrics import SATELLITE_CATALOGUE
from ..model.transforms import expit, logit, logit_step
from . import equations as eq
from .calibration import (
    COUNT_DISPERSIONS,
    LOGIT_TRENDS,
    SCHOOL_LEVELS,
    SD_PARAMETERS,
    STOCKS_PER_10K,
    SatelliteCalibration,
)

if TYPE_CHECKING:
    from ..draws import Draws
    from ..inputs import Inputs

#: Satellite shocks, in the order of the first axis of the shock array (independent standard normals:
#: the satellites are linked to each other only through the core series they read).
SHOCKS: tuple[str, ...] = ("poverty", "life_expectancy", "mean_years_schooling", "expected_years_schooling",
                           *STOCKS_PER_10K, *LOGIT_TRENDS, "publications")
_SHOCK = {name: i for i, name in enumerate(SHOCKS)}
#: Every satellite series, in the order they are stored (simulator.metrics.SATELLITE_CATALOGUE).
SATELLITE_SERIES: tuple[str, ...] = tuple(SATELLITE_CATALOGUE)
#: Over-dispersed yearly counts, in the order of the count draws (dispersions: calibration.COUNT_DISPERSIONS).
COUNTS: tuple[str, ...] = ("patent_applications_and_grants_count", "social_housing_completed_dwellings")


def satellite_parameter_values(inputs: "Inputs", draws: "Draws") -> dict[str, float | np.ndarray]:
    """Satellite parameters of each path: name -> float, or (paths,) for the drawn ones (a normal
    around the estimate truncated to the bounds); shock scales times the volatility scale."""
    cal = inputs.satellites
    params: dict[str, float | np.ndarray] = {name: v.value for name, v in cal.parameters.items()}
    for row, name in enumerate(inputs.contract.satellite_parameters):
        v = cal.entry(name)  # a base value with a standard error is drawn like a parameter, as "base.<name>"
        params[name] = truncated_normal(draws.satellite_parameters[row], mean=v.value, se=v.se, lower=v.lower,
                                        upper=v.upper)
    for name in SD_PARAMETERS:
        params[name] = params[name] * inputs.volatility_scale
    return params


def count_means(cal: SatelliteCalibration, params: dict, horizon: int) -> np.ndarray:
    """Expected yearly counts (2, H, paths or 1): patents on an exponential trend from the base
    count, social-housing completions at a constant yearly mean."""
    t = np.arange(1, horizon + 1)[:, None]
    patents = cal.base["patent_applications_and_grants_count"].value * np.exp(
        np.atleast_1d(params["science.patents_growth"])[None, :] * t)
    housing = np.broadcast_to(np.atleast_1d(params["housing.completions_mean"])[None, :], (horizon, patents.shape[1]))
    return np.stack(np.broadcast_arrays(patents, housing))


def counts(means: np.ndarray, gamma: np.ndarray, noise: np.ndarray, dispersion: np.ndarray, *, volatility_scale: float):
    """Over-dispersed yearly counts with mean m and variance m + m²/k (the NB2 moments).

    The gamma–Poisson mixture (Cameron & Trivedi 2013, *Regression Analysis of Count Data*, 2nd
    ed., ch. 4): λ = m·G/k with G ~ Gamma(k) the raw draw, then the Poisson step in its normal
    approximation λ + √λ·ε, floored at 0 (its error is small next to the gamma part once m is in
    the tens, as for the counts here). Monotone in m on fixed draws, so variants stay paired.
    With ``volatility_scale`` = 0 the counts are their means. (The NB's over-dispersion is not a
    shock scale: any other volatility scale leaves it as calibrated.)

    Parameters
    ----------
    means : (c, H, paths or 1); gamma, noise : (c, H, paths); dispersion : (c,)
    """
    if volatility_scale == 0:
        return np.broadcast_to(means, gamma.shape).copy()
    rate = means * gamma / np.asarray(dispersion)[:, None, None]
    return np.maximum(rate + np.sqrt(rate) * noise, 0.0)


def _rows(params: dict, names) -> np.ndarray:
    """Parameters of several indicators as rows (k, 1), or (k, paths) when any is drawn per path."""
    values = [params[name] for name in names]
    if any(np.ndim(v) for v in values):
        return np.stack(np.broadcast_arrays(*values))
    return np.array(values, dtype=float)[:, None]


_TREND_ROW = {m: j for j, m in enumerate(LOGIT_TRENDS)}
_TRENDS = slice(_SHOCK[LOGIT_TRENDS[0]], _SHOCK[LOGIT_TRENDS[-1]] + 1)
_STOCKS = slice(_SHOCK[STOCKS_PER_10K[0]], _SHOCK[STOCKS_PER_10K[-1]] + 1)


def simulate_satellites(cal: SatelliteCalibration, core: dict[str, np.ndarray], params: dict,
                        draws: "Draws", *, volatility_scale: float) -> dict[str, np.ndarray]:
    """Run the satellite models over the paths of ``core``.

    Parameters
    ----------
    cal : SatelliteCalibration
    core : dict metric -> array (paths, H + 1)
        The core model's series.
    params : dict
        From :func:`satellite_parameter_values`.
    draws : Draws
        The chunk's raw draws (satellite shocks, count variates).
    volatility_scale : float
        0 puts the counts at their means (the other shock scales are in ``params`` already).

    Returns
    -------
    dict metric -> array (paths, H + 1), column 0 the base year
    """
    b = {name: params.get(f"base.{name}", v.value) for name, v in cal.base.items()}
    p = {name: v for name, v in params.items()}
    shocks = draws.satellite_shocks  # (k, H, paths): each indicator's shocks of one year are contiguous
    n, horizon = draws.n_paths, draws.satellite_shocks.shape[1]
    # the logistic trends' shares are written straight into one block of their series (no copies)
    trend_block = np.empty((len(LOGIT_TRENDS), horizon + 1, n))
    out = {name: trend_block[_TREND_ROW[name]] if name in _TREND_ROW else np.empty((horizon + 1, n))
           for name in SATELLITE_SERIES}

    def z(name, s):
        return shocks[_SHOCK[name], s]

    population = core["population_persons"].T
    deflator = core["deflator_index"].T
    income = core["income_per_capita_month_mvnd"].T
    poverty = np.full(n, b["poverty_rate"])
    life = np.full(n, b["life_expectancy_years"])
    mys = np.full(n, b["mean_years_schooling"])
    eys = np.full(n, b["expected_years_schooling"])
    # indicators of one kind move together: rows of one array, in SHOCKS order (contiguous shocks)
    # base values as rows (k, 1), or (k, paths) where a base value with an error is drawn per path
    stocks = _rows(b, STOCKS_PER_10K) * population[0] / 1e4
    stock_growth, stock_sd = (_rows(p, [f"stocks.{m}_{x}" for m in STOCKS_PER_10K]) for x in ("growth", "sd"))
    base_logits = logit(_rows(b, LOGIT_TRENDS))
    logits = np.broadcast_to(base_logits, (len(LOGIT_TRENDS), n))
    trend_drift, trend_sd = (_rows(p, [f"trends.{m}_{x}" for m in LOGIT_TRENDS]) for x in ("drift", "sd"))
    trend_block[:, 0] = expit(base_logits)
    publications = np.full(n, b["intl_scientific_publications_count"])
    school_weights = _rows(b, [f"{level}_count" for level in SCHOOL_LEVELS])
    school_weights = school_weights / school_weights.sum(axis=0)
    out["patent_applications_and_grants_count"][0] = b["patent_applications_and_grants_count"]
    out["social_housing_completed_dwellings"][0] = b["social_housing_completed_dwellings"]
    drawn = counts(count_means(cal, p, horizon), draws.count_gamma, draws.count_noise,
                   np.array([p[name] for name in COUNT_DISPERSIONS]), volatility_scale=volatility_scale)
    for j, name in enumerate(COUNTS):
        out[name][1:] = drawn[j]

    for t in range(horizon + 1):
        if t > 0:
            s = t - 1
            # ln(income growth / deflator growth): one log of the ratio of the two factors
            real_income_growth = np.log((income[t] * deflator[t - 1]) / (income[t - 1] * deflator[t]))
            poverty = eq.poverty_next(poverty, real_income_growth=real_income_growth, income_elasticity=p["poverty.income_elasticity"],
                                      drift=p["poverty.drift"], sd=p["poverty.sd"], shock=z("poverty", s))
            life = eq.linear_trend_next(life, slope=p["health.life_expectancy_slope"], sd=p["health.life_expectancy_sd"],
                                        shock=z("life_expectancy", s))
            mys = eq.linear_trend_next(mys, slope=p["hdi.mean_years_schooling_slope"], sd=p["hdi.schooling_sd"],
                                       shock=z("mean_years_schooling", s))
            eys = eq.linear_trend_next(eys, slope=p["hdi.expected_years_schooling_slope"], sd=p["hdi.schooling_sd"],
                                       shock=z("expected_years_schooling", s))
            stocks = eq.stock_next(stocks, growth=stock_growth, sd=stock_sd, shock=shocks[_STOCKS, s])
            logits = logit_step(logits, drift=trend_drift, sd=trend_sd, shock=shocks[_TRENDS, s])
            expit(logits, out=trend_block[:, t])
            publications = eq.stock_next(publications, growth=p["science.publications_growth"],
                                         sd=p["science.publications_sd"], shock=z("publications", s))
        gni = eq.gni_per_capita_ppp(grdp_per_capita_mvnd=core["grdp_per_capita_mvnd"][:, t], deflator_ratio=deflator[t] / deflator[0],
                                    gni_to_grdp_ratio=p["hdi.gni_to_grdp_ratio"], ppp_vnd_per_dollar=p["hdi.ppp_vnd_per_dollar"])
        out["poverty_rate"][t] = poverty
        out["life_expectancy_years"][t] = life
        out["healthy_life_expectancy_years"][t] = life * p["health.healthy_to_total_life_expectancy"]
        out["mean_years_schooling"][t] = mys
        out["expected_years_schooling"][t] = eys
        out["gni_per_capita_ppp"][t] = gni
        formula = eq.hdi(life_expectancy_years=life, mean_years_schooling=mys, expected_years_schooling=eys,
                         gni_per_capita_ppp=gni, education_mean="geometric")
        if t == 0:
            formula_base = formula
        out["hdi_formula_index"][t] = formula
        # the official level of the base year, moved by the formula's change on the modelled inputs
        # undefined (NaN, a miss) on a path whose drawn parameters put a base-year dimension at its
        # floor; the inputs are refused when the estimates do (simulator.inputs._check_hdi_anchor)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(formula_base > 0, formula / formula_base, np.nan)
        out["hdi_index"][t] = np.minimum(b["hdi_official_index"] * ratio, 1.0)
        for j, m in enumerate(STOCKS_PER_10K):
            out[m][t] = eq.per_10k(stocks[j], population[t])
        shares = trend_block[:, t]
        out["schools_national_standard_share"][t] = sum(
            w * shares[_TREND_ROW[f"{level}_national_standard_share"]] for w, level in zip(school_weights, SCHOOL_LEVELS))
        out["private_economy_grdp_real_bn_vnd"][t] = shares[_TREND_ROW["private_economy_share"]] * core["grdp_real_bn_vnd"][:, t]
        out["intl_scientific_publications_count"][t] = publications
    return {name: values.T for name, values in out.items()}
