"""Per-block draws and the year loop of the satellite models over one set of paths.

The satellites run after the core model on the same paths: they read its series (population,
income, deflator, GRDP per capita, real GRDP) and add their own. Their randomness comes from
streams of :class:`simulator.draws.Stream` that the core never uses, drawn per block like the
core's, so results are identical whatever the chunking and the core's numbers do not move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import draws
from ..engine import METRIC_INPUTS, assumptions_behind
from ..model.transforms import expit, logit
from ..parameters import Calibration
from . import equations as eq
from .calibration import (
    LOGIT_TRENDS,
    SCHOOL_LEVELS,
    SD_PARAMETERS,
    STOCKS_PER_10K,
    SatelliteCalibration,
)

#: Satellite shocks, in the order of the last axis of the shock array (independent standard normals:
#: the satellites are linked to each other only through the core series they read).
SHOCKS: tuple[str, ...] = ("poverty", "life_expectancy", "mean_years_schooling", "expected_years_schooling",
                           *STOCKS_PER_10K, *LOGIT_TRENDS, "publications")
_SHOCK = {name: i for i, name in enumerate(SHOCKS)}
#: Over-dispersed yearly counts, in the order of the last axis of the count array.
COUNTS: tuple[str, ...] = ("patent_applications_and_grants_count", "social_housing_completed_dwellings")


@dataclass(frozen=True)
class SatelliteSetup:
    """What :func:`simulate_satellites` needs besides the core series.

    Attributes
    ----------
    calibration : SatelliteCalibration
    horizon : int
        Simulated years after the base year.
    seed, block_size : int
        The random-number contract (see :mod:`simulator.draws`).
    parameter_uncertainty : bool
        Draw every parameter with a standard error once per path.
    volatility_scale : float
        Multiplies every shock scale; 0 also replaces the counts by their means.
    """

    calibration: SatelliteCalibration
    horizon: int
    seed: int
    block_size: int
    parameter_uncertainty: bool
    volatility_scale: float

    @property
    def uncertain_parameters(self) -> tuple[str, ...]:
        if not self.parameter_uncertainty:
            return ()
        return tuple(sorted(n for n, v in self.calibration.parameters.items() if v.se))


@dataclass(frozen=True)
class SatelliteDraws:
    """Draws of one block, or of a chunk (blocks in path order).

    params : dict name -> float or array (paths, 1); shocks : (paths, H, len(SHOCKS)) view of
    shock-major memory;
    counts : (paths, H, len(COUNTS)) yearly counts for years 1..H.
    """

    params: dict
    shocks: np.ndarray
    counts: np.ndarray


def chunk_draws(setup: SatelliteSetup, chunk: list[tuple[int, int]]) -> SatelliteDraws:
    """The draws of a chunk of (block, paths) pairs, each block from its own streams, written into
    one array per kind (no copy when the blocks are assembled)."""
    total = sum(n for _, n in chunk)
    shocks = np.empty((len(SHOCKS), setup.horizon, total))  # shock-major: see simulator.draws
    counts = np.empty((total, setup.horizon, len(COUNTS)))
    parts, first = [], 0
    for block, n in chunk:
        parts.append(satellite_block_draws(setup, block, n, shock_out=shocks[:, :, first: first + n],
                                           count_out=counts[first: first + n]))
        first += n
    params = {}
    for name, value in parts[0].params.items():
        if isinstance(value, np.ndarray):
            params[name] = np.concatenate([np.broadcast_to(p.params[name], (p.shocks.shape[0], 1)) for p in parts])
        else:
            params[name] = value
    return SatelliteDraws(params, shocks.T, counts)


def satellite_block_draws(setup: SatelliteSetup, block: int, n_paths: int, *, shock_out: np.ndarray | None = None,
                          count_out: np.ndarray | None = None) -> SatelliteDraws:
    """Parameters, normal shocks and negative-binomial counts of one block of paths.

    ``shock_out`` (shock-major: len(SHOCKS), H, paths) and ``count_out`` (paths, H, len(COUNTS)), if given,
    receive the draws.
    """
    cal = setup.calibration
    params: dict = {name: v.value for name, v in cal.parameters.items()}
    names = setup.uncertain_parameters
    if names:
        values = [cal.parameters[n] for n in names]
        drawn = draws.parameter_draws(setup.seed, block, n_paths, np.array([v.value for v in values]),
                                      np.array([v.se for v in values]), np.array([v.lower for v in values]),
                                      np.array([v.upper for v in values]), stream=draws.Stream.SATELLITE_PARAMETERS, block_size=setup.block_size)
        for j, name in enumerate(names):
            params[name] = drawn[:, j: j + 1]
    for name in SD_PARAMETERS:
        params[name] = params[name] * setup.volatility_scale
    shocks = draws.standard_normals(setup.seed, block, draws.Stream.SATELLITE_SHOCKS,
                                    (n_paths, setup.horizon, len(SHOCKS)), block_size=setup.block_size, out=shock_out)
    means = count_means(cal, params, n_paths, setup.horizon)
    if setup.volatility_scale == 0:
        counts = means
        if count_out is not None:
            count_out[...] = means
            counts = count_out
    else:
        dispersion = np.stack([np.broadcast_to(params[name], (n_paths, 1))
                               for name in ("science.patents_dispersion", "housing.completions_dispersion")], axis=-1)
        counts = draws.negative_binomial_counts(setup.seed, block, means, dispersion, out=count_out)
    return SatelliteDraws(params, shocks, counts)


def count_means(cal: SatelliteCalibration, params: dict, n_paths: int, horizon: int) -> np.ndarray:
    """Expected yearly counts (paths, H, 2): patents on an exponential trend from the base count,
    social-housing completions at a constant yearly mean."""
    t = np.arange(1, horizon + 1)
    growth = np.broadcast_to(params["science.patents_growth"], (n_paths, 1))
    patents = cal.base["patent_applications_and_grants_count"].value * np.exp(growth * t)
    housing = np.broadcast_to(params["housing.completions_mean"], (n_paths, 1)) * np.ones(horizon)
    return np.stack([patents, housing], axis=-1)


def _col(value):
    return value[:, 0] if isinstance(value, np.ndarray) else value


def simulate_satellites(setup: SatelliteSetup, core: dict[str, np.ndarray], sat: SatelliteDraws) -> dict[str, np.ndarray]:
    """Run the satellite models over the paths of ``core``.

    Parameters
    ----------
    setup : SatelliteSetup
    core : dict metric -> array (paths, H + 1)
        The core model's series (:func:`simulator.engine.simulate_paths`).
    sat : SatelliteDraws
        This set of paths' satellite draws.

    Returns
    -------
    dict metric -> array (paths, H + 1), column 0 the base year
    """
    cal = setup.calibration
    b = {name: v.value for name, v in cal.base.items()}
    p = {name: _col(v) for name, v in sat.params.items()}
    n, horizon = sat.shocks.shape[0], sat.shocks.shape[1]
    out = {name: np.empty((horizon + 1, n)) for name in SATELLITE_METRIC_INPUTS}

    # (years, shocks, paths) view of the shock-major memory: each year's shock of one indicator
    # is contiguous (see simulator.draws)
    shocks_by_year = sat.shocks.transpose(1, 2, 0)

    def z(name, s):
        return shocks_by_year[s, _SHOCK[name]]

    population = core["population_persons"].T
    deflator = core["deflator_index"].T
    income = core["income_per_capita_month_mvnd"].T
    poverty = np.full(n, b["poverty_rate"])
    life = np.full(n, b["life_expectancy_years"])
    mys = np.full(n, b["mean_years_schooling"])
    eys = np.full(n, b["expected_years_schooling"])
    stocks = {m: np.full(n, b[m] * population[0, 0] / 1e4) for m in STOCKS_PER_10K}
    shares = {m: np.full(n, b[m]) for m in LOGIT_TRENDS}
    logits = {m: np.full(n, float(logit(b[m]))) for m in LOGIT_TRENDS}  # the state: no logit of a share each year
    publications = np.full(n, b["intl_scientific_publications_count"])
    school_weights = np.array([b[f"{level}_count"] for level in SCHOOL_LEVELS])
    school_weights = school_weights / school_weights.sum()
    out["patent_applications_and_grants_count"][0] = b["patent_applications_and_grants_count"]
    out["social_housing_completed_dwellings"][0] = b["social_housing_completed_dwellings"]
    out["patent_applications_and_grants_count"][1:] = sat.counts[:, :, 0].T
    out["social_housing_completed_dwellings"][1:] = sat.counts[:, :, 1].T

    for t in range(horizon + 1):
        if t > 0:
            s = t - 1
            real_income_growth = np.log(income[t] / income[t - 1]) - np.log(deflator[t] / deflator[t - 1])
            poverty = eq.poverty_next(poverty, real_income_growth=real_income_growth, income_elasticity=p["poverty.income_elasticity"],
                                      drift=p["poverty.drift"], sd=p["poverty.sd"], shock=z("poverty", s))
            life = eq.linear_trend_next(life, slope=p["health.life_expectancy_slope"], sd=p["health.life_expectancy_sd"],
                                        shock=z("life_expectancy", s))
            mys = eq.linear_trend_next(mys, slope=p["hdi.mean_years_schooling_slope"], sd=p["hdi.schooling_sd"],
                                       shock=z("mean_years_schooling", s))
            eys = eq.linear_trend_next(eys, slope=p["hdi.expected_years_schooling_slope"], sd=p["hdi.schooling_sd"],
                                       shock=z("expected_years_schooling", s))
            for m in STOCKS_PER_10K:
                stocks[m] = eq.stock_next(stocks[m], growth=p[f"stocks.{m}_growth"], sd=p[f"stocks.{m}_sd"], shock=z(m, s))
            for m in LOGIT_TRENDS:
                logits[m] = eq.logit_step(logits[m], drift=p[f"trends.{m}_drift"], sd=p[f"trends.{m}_sd"], shock=z(m, s))
                shares[m] = expit(logits[m])
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
        out["hdi_index"][t] = eq.hdi(life_expectancy_years=life, mean_years_schooling=mys,
                                     expected_years_schooling=eys, gni_per_capita_ppp=gni)
        for m in STOCKS_PER_10K:
            out[m][t] = eq.per_10k(stocks[m], population[t])
        for m in LOGIT_TRENDS:
            out[m][t] = shares[m]
        out["schools_national_standard_share"][t] = sum(
            w * shares[f"{level}_national_standard_share"] for w, level in zip(school_weights, SCHOOL_LEVELS))
        out["private_economy_grdp_real_bn_vnd"][t] = shares["private_economy_share"] * core["grdp_real_bn_vnd"][:, t]
        out["intl_scientific_publications_count"][t] = publications
    return {name: values.T for name, values in out.items()}


def _trend_inputs(m: str) -> tuple[str, ...]:
    return (f"base.{m}", f"trends.{m}_drift", f"trends.{m}_sd")


# What each satellite series is computed from: satellite calibration names (``sat.base.x``,
# ``sat.block.x``) and series of the core or of the satellites. Used to flag assumptions.
SATELLITE_METRIC_INPUTS: dict[str, tuple[str, ...]] = {
    "poverty_rate": ("sat.base.poverty_rate", "sat.poverty.income_elasticity", "sat.poverty.drift", "sat.poverty.sd",
                     "income_per_capita_month_mvnd", "deflator_index"),
    "life_expectancy_years": ("sat.base.life_expectancy_years", "sat.health.life_expectancy_slope", "sat.health.life_expectancy_sd"),
    "healthy_life_expectancy_years": ("life_expectancy_years", "sat.health.healthy_to_total_life_expectancy"),
    "mean_years_schooling": ("sat.base.mean_years_schooling", "sat.hdi.mean_years_schooling_slope", "sat.hdi.schooling_sd"),
    "expected_years_schooling": ("sat.base.expected_years_schooling", "sat.hdi.expected_years_schooling_slope", "sat.hdi.schooling_sd"),
    "gni_per_capita_ppp": ("grdp_per_capita_mvnd", "deflator_index", "sat.hdi.gni_to_grdp_ratio", "sat.hdi.ppp_vnd_per_dollar"),
    "hdi_index": ("life_expectancy_years", "mean_years_schooling", "expected_years_schooling", "gni_per_capita_ppp"),
    **{m: (f"sat.base.{m}", f"sat.stocks.{m}_growth", f"sat.stocks.{m}_sd", "population_persons") for m in STOCKS_PER_10K},
    **{m: tuple("sat." + x for x in _trend_inputs(m)) for m in LOGIT_TRENDS},
    "schools_national_standard_share": tuple(f"{level}_national_standard_share" for level in SCHOOL_LEVELS)
                                       + tuple(f"sat.base.{level}_count" for level in SCHOOL_LEVELS),
    "private_economy_grdp_real_bn_vnd": ("private_economy_share", "grdp_real_bn_vnd"),
    "intl_scientific_publications_count": ("sat.base.intl_scientific_publications_count", "sat.science.publications_growth",
                                           "sat.science.publications_sd"),
    "patent_applications_and_grants_count": ("sat.base.patent_applications_and_grants_count", "sat.science.patents_growth",
                                             "sat.science.patents_dispersion"),
    "social_housing_completed_dwellings": ("sat.base.social_housing_completed_dwellings", "sat.housing.completions_mean",
                                           "sat.housing.completions_dispersion"),
}


def satellite_assumptions(metric: str, calibration: SatelliteCalibration, core: Calibration) -> list[str]:
    """Calibration entries marked ``assumption = true`` that a satellite series rests on, transitively
    through the core series it reads (core names as in :func:`simulator.engine.assumptions_behind`,
    satellite names prefixed ``sat.``)."""
    found, seen, stack = set(), set(), [metric]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in SATELLITE_METRIC_INPUTS:
            stack.extend(SATELLITE_METRIC_INPUTS[name])
        elif name in METRIC_INPUTS:
            found.update(assumptions_behind(name, core))
        elif name.startswith("sat.base."):
            if calibration.base[name[9:]].assumption:
                found.add(name)
        elif name.startswith("sat.") and calibration.parameters[name[4:]].assumption:
            found.add(name)
    return sorted(found)
