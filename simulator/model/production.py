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


def tfp_level_for(output_level, capital, human_capital, employed, *, capital_share):
    """The A that makes :func:`output` reproduce an observed Y (base-year normalisation)."""
    return output_level / (capital**capital_share * (human_capital * employed) ** (1.0 - capital_share))


def realised_investment_share(lever_share, *, realisation_sd, shock):
    """Realised investment / GRDP (0–1): the lever times a mean-one lognormal realisation.

    s_t = s̄_t · exp(σ·z_t − σ²/2): plans are not met exactly (disbursement, private investors);
    the lognormal keeps s_t positive and its mean at the lever.
    """
    factor = np.exp(realisation_sd * shock - 0.5 * realisation_sd**2)
    return np.minimum(lever_share * factor, 1.0)


def tfp_contribution(output_growth_log, capital_growth_log, employed_growth_log, *, capital_share):
    """Share of real growth not explained by factor inputs (target 6a), Solow (1957) accounting.

    c = (Δln Y − α·Δln K − (1 − α)·Δln E) / Δln Y over the same span. Labour input is employed
    persons, as in the statistics office's TFP estimates, so labour quality counts in TFP.
    Where Δln Y = 0 the share is undefined and NaN is returned.
    """
    residual = output_growth_log - capital_share * capital_growth_log - (1.0 - capital_share) * employed_growth_log
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(output_growth_log != 0.0, residual / output_growth_log, np.nan)
