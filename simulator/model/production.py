"""Capital accumulation, TFP, real GRDP and growth accounting.

The production block follows the World Bank's Long Term Growth Model (Loayza & Pennings 2018,
*The Long Term Growth Model*, World Bank Policy Research Working Paper 8322): Cobb–Douglas
output in capital and human-capital-augmented labour, capital accumulated from an investment
share of output.
"""

from __future__ import annotations

import numpy as np


def capital_next(capital_prev, investment_prev, *, depreciation_rate):
    """Real capital stock next year, bn VND at constant 2010 prices.

    K_t = (1 − δ)·K_{t−1} + I_{t−1} (perpetual inventory).
    """
    return (1.0 - depreciation_rate) * capital_prev + investment_prev


def tfp_growth_next(growth_prev, *, mean, boost, persistence, sd, shock):
    """TFP growth next year (log points): an AR(1) around mean + boost.

    g_A,t = μ_A + b + ρ·(g_A,t−1 − μ_A − b) + σ_A·z_t; b is the scenario's TFP lever.
    """
    centre = mean + boost
    return centre + persistence * (growth_prev - centre) + sd * shock


def output(tfp, capital, human_capital, employed, *, capital_share):
    """Real GRDP, bn VND at constant 2010 prices: Y = A·K^α·(h·E)^(1−α)."""
    return tfp * capital**capital_share * (human_capital * employed) ** (1.0 - capital_share)


def log_output(log_tfp, log_capital, log_human_capital, log_employed, *, capital_share):
    """ln Y of :func:`output` from the logs of its inputs: ln A + α·ln K + (1 − α)(ln h + ln E).

    The engine carries TFP, human capital and employment in logs (they are built from log
    changes), so one exp gives Y where the level form takes two powers, and ln Y, ln K and ln E
    serve the growth accounting without another log.
    """
    return log_tfp + capital_share * log_capital + (1.0 - capital_share) * (log_human_capital + log_employed)


def tfp_level_for(output_level, capital, human_capital, employed, *, capital_share):
    """The A that makes :func:`output` reproduce an observed Y (base-year normalisation)."""
    return output_level / (capital**capital_share * (human_capital * employed) ** (1.0 - capital_share))


def realised_investment_share(planned_share, *, realisation, history_ratio, realisation_sd, shock):
    """Realised investment / GRDP (0–1) of one year.

    s_t = min(s̄_t · ρ_t · r · exp(σ·z_t − σ²/2), 1): the planned share s̄_t (lever), the share of
    the plan realised ρ_t (lever, 1 = as historically), the path's ratio r of its own historical
    share to the calibrated one (what the statistics call s̄ was r·s̄ on this path, so every
    variant carries the same uncertainty about it), and a mean-one lognormal yearly realisation
    (disbursement, private projects).
    """
    factor = np.exp(realisation_sd * shock - 0.5 * realisation_sd**2)
    return np.minimum(planned_share * realisation * history_ratio * factor, 1.0)


def steady_state_capital_output(*, investment_share, depreciation_rate, growth):
    """K/Y on the balanced path of the capital equation, years of output.

    From K_t = (1 − δ)K_{t−1} + s·Y_{t−1} with K and Y both growing by the factor e^g:
    K/Y = s / (δ + e^g − 1), exact for the discrete equation (:func:`capital_next`); the LTGM
    initialises capital this way (Loayza & Pennings 2018, World Bank WPS 8322, section 3).
    ``growth`` is in log points a year.
    """
    return investment_share / (depreciation_rate + np.expm1(growth))


def trained_share_growth_of_human_capital(*, return_to_training, logit_drift, trained_share):
    """Trend log growth of human capital per worker, g_h = ψ·β·p(1 − p).

    h = exp(ψ·p) with logit p drifting by β a year: d ln h / dt = ψ·dp/dt = ψ·β·p(1 − p) at the
    share p (the derivative of the logistic curve).
    """
    return return_to_training * logit_drift * trained_share * (1.0 - trained_share)


def tfp_trend_growth(*, capital_share, output_growth, employment_growth, human_capital_growth):
    """Trend TFP growth, the Solow (1957) residual on a balanced path: μ_A = (1 − α)(g − g_E − g_h).

    On a balanced path capital grows with output (g_K = g), so g = α·g + (1 − α)(g_E + g_h) + μ_A;
    log points a year. The LTGM's TFP calibration (Loayza & Pennings 2018).
    """
    return (1.0 - capital_share) * (output_growth - employment_growth - human_capital_growth)


#: Growth (log points a year) below which a TFP share is undefined: a share of almost no growth is
#: noise (it spanned −41,000 % to +15,000 % on the paths that grew less than this).
NEAR_ZERO_GROWTH = 0.005


def tfp_residual(output_growth_log, capital_growth_log, employed_growth_log, *, capital_weight):
    """Measured TFP growth, the statistics office's growth accounting: G_A = G_Y − b_K·G_K − b_L·G_L.

    b_K + b_L = 1, the weights of its input–output tables (GSO, metadata "Tốc độ tăng năng suất các
    nhân tố tổng hợp (TFP)", https://www.gso.gov.vn/du-lieu-dac-ta/2019/12/htcttkqg-toc-do-tang-nang-suat-cac-nhan-to-tong-hop-tfp/);
    labour is employed persons, capital the stock built from realised investment. Log points.
    """
    return output_growth_log - capital_weight * capital_growth_log - (1.0 - capital_weight) * employed_growth_log


def tfp_contribution(output_growth_log, capital_growth_log, employed_growth_log, *, capital_weight, years=1):
    """Share of real growth attributed to TFP over a span of ``years`` (target 6a): G_A / G_Y.

    Undefined (NaN) when average growth is below :data:`NEAR_ZERO_GROWTH` in absolute value.
    """
    residual = tfp_residual(output_growth_log, capital_growth_log, employed_growth_log, capital_weight=capital_weight)
    output_growth_log = np.asarray(output_growth_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(output_growth_log) >= NEAR_ZERO_GROWTH * years, residual / output_growth_log, np.nan)
