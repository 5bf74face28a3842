"""Equations of the satellite models: pure functions over arrays shaped (paths,).

No randomness and no I/O here: shocks arrive as standard normals from
:func:`simulator.satellites.engine.satellite_block_draws`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HdiGoalposts:
    """Minimum and maximum of each HDI dimension.

    Defaults: UNDP, *Human Development Report 2020*, Technical note 1 (also used by the 2015–2023/24
    reports): life expectancy 20–85 years, expected years of schooling 0–18, mean years of
    schooling 0–15, GNI per capita 100–75,000 PPP $ (natural logarithms).
    """

    life_expectancy_years: tuple[float, float] = (20.0, 85.0)
    expected_years_schooling: tuple[float, float] = (0.0, 18.0)
    mean_years_schooling: tuple[float, float] = (0.0, 15.0)
    gni_per_capita_ppp: tuple[float, float] = (100.0, 75_000.0)


UNDP_GOALPOSTS = HdiGoalposts()


def _dimension(value, low: float, high: float):
    """(value − low) / (high − low), capped to [0, 1] as the UNDP caps EYS at 18 and GNI at 75,000."""
    return np.clip((np.asarray(value, dtype=float) - low) / (high - low), 0.0, 1.0)


def hdi(*, life_expectancy_years, mean_years_schooling, expected_years_schooling, gni_per_capita_ppp,
        goalposts: HdiGoalposts = UNDP_GOALPOSTS, education_mean: str = "arithmetic"):
    """Human Development Index (0–1), UNDP formula.

    HDI = (I_health · I_education · I_income)^(1/3), with I_health = (LE − 20)/(85 − 20),
    I_education = (MYS/15 + EYS/18)/2 and I_income = (ln GNIpc − ln 100)/(ln 75,000 − ln 100)
    (UNDP, *Human Development Report 2020*, Technical note 1). With ``education_mean =
    "geometric"`` the education index is √(I_MYS · I_EYS), the statistics office's provincial
    method (GSO metadata "Chỉ số phát triển con người (HDI)", national yearbook 2022, p. 539).

    Parameters
    ----------
    life_expectancy_years, mean_years_schooling, expected_years_schooling : array (paths,)
        Years.
    gni_per_capita_ppp : array (paths,)
        Gross national income per capita, constant PPP dollars.

    Examples
    --------
    Norway 2014 (HDR 2015, Table 1: 81.6, 12.6, 17.5, 64,992 → 0.944):

    >>> round(float(hdi(life_expectancy_years=81.6, mean_years_schooling=12.6,
    ...                 expected_years_schooling=17.5, gni_per_capita_ppp=64_992)), 3)
    0.944
    """
    g = goalposts
    health = _dimension(life_expectancy_years, *g.life_expectancy_years)
    mys = _dimension(mean_years_schooling, *g.mean_years_schooling)
    eys = _dimension(expected_years_schooling, *g.expected_years_schooling)
    education = 0.5 * (mys + eys) if education_mean == "arithmetic" else np.sqrt(mys * eys)
    low, high = g.gni_per_capita_ppp
    income = _dimension(np.log(gni_per_capita_ppp), np.log(low), np.log(high))
    return np.cbrt(health * education * income)


def gni_per_capita_ppp(*, grdp_per_capita_mvnd, deflator_ratio, gni_to_grdp_ratio, ppp_vnd_per_dollar):
    """GNI per capita in constant PPP dollars from current-price GRDP per capita.

    GNIpc = GRDPpc · 10⁶ · (GNI / GDP) / (PPP factor of the base year · D_t / D_base): current VND
    are deflated to base-year prices by the simulated GRDP deflator, then converted with the
    base-year PPP factor (VND per international dollar, constant PPP dollars).

    Parameters
    ----------
    grdp_per_capita_mvnd : array (paths,)
        Million VND per person, current prices.
    deflator_ratio : array (paths,)
        D_t / D_base, the GRDP deflator relative to the base year.
    gni_to_grdp_ratio : float or array (paths,)
        Net primary income from abroad adjustment (national GNI / GDP).
    ppp_vnd_per_dollar : float or array (paths,)
        VND per constant PPP dollar at base-year prices.
    """
    return grdp_per_capita_mvnd * 1e6 * gni_to_grdp_ratio / (ppp_vnd_per_dollar * deflator_ratio)


def poverty_next(rate_prev, *, real_income_growth, income_elasticity, drift, sd, shock):
    """Poverty rate (share of households, 0–1) next year.

    ln p_t = ln p_{t−1} − η·g_t + δ + σ·z_t, with g_t the log growth of real income per capita
    (from the core model), η the growth elasticity of poverty (Ravallion & Chen 1997,
    doi:10.1093/wber/11.2.357; Adams 2004, doi:10.1016/j.worlddev.2004.07.006) and δ the
    drift of targeted programmes beyond income growth. Capped at 1.
    """
    return np.minimum(rate_prev * np.exp(-income_elasticity * real_income_growth + drift + sd * shock), 1.0)


def stock_next(stock_prev, *, growth, sd, shock):
    """A stock (doctors, beds, staff) next year: S_t = S_{t−1}·exp(g + σ·z_t)."""
    return stock_prev * np.exp(growth + sd * shock)


def per_10k(stock, population_persons):
    """A stock per 10,000 inhabitants of the modelled population."""
    return stock * 1e4 / population_persons


def linear_trend_next(value_prev, *, slope, sd, shock):
    """A level with a linear trend (life expectancy, years of schooling): v_t = v_{t−1} + b + σ·z_t."""
    return value_prev + slope + sd * shock
