"""Population and urbanisation."""

from __future__ import annotations

import numpy as np

from .transforms import expit, logit, logit_step


def population_next(population_prev, *, growth_mean, growth_sd, shock):
    """Average population next year, persons, on a random walk with drift in logs.

    P_t = P_{t−1} · exp(n + σ_n·z_t): the special case of :func:`population_trend_next` with no
    irregular and a fixed drift (used by the backtest's random-walk processes).
    """
    return population_prev * np.exp(growth_mean + growth_sd * shock)


def population_trend_next(log_trend_prev, drift_prev, *, migration, level_sd, level_shock, drift_sd, drift_shock,
                          irregular_sd, irregular_shock):
    """One year of a local linear trend in log population (Harvey 1989, ch. 2).

    μ_t = μ_{t−1} + β_{t−1} + m_t + σ_η·η_t, β_t = β_{t−1} + σ_ζ·ζ_t, P_t = exp(μ_t + σ_ε·ε_t):
    the drift β (natural increase and net migration together) wanders, so migration waves and
    reversals carry on for some years; m_t is the net-migration lever; ε is year-specific noise
    that does not accumulate. With σ_ζ = σ_ε = 0 it is the random walk with drift.

    Returns
    -------
    log_trend, drift, population : arrays (paths,)
    """
    log_trend, drift, log_population = log_population_trend_next(
        log_trend_prev, drift_prev, migration=migration, level_sd=level_sd, level_shock=level_shock,
        drift_sd=drift_sd, drift_shock=drift_shock, irregular_sd=irregular_sd, irregular_shock=irregular_shock)
    return log_trend, drift, np.exp(log_population)


def log_population_trend_next(log_trend_prev, drift_prev, *, migration, level_sd, level_shock, drift_sd, drift_shock,
                              irregular_sd, irregular_shock):
    """:func:`population_trend_next` with the log of population, the engine's state (it enters
    log employment and the growth accounting): returns log_trend, drift, ln P_t."""
    log_trend = log_trend_prev + drift_prev + migration + level_sd * level_shock
    drift = drift_prev + drift_sd * drift_shock
    return log_trend, drift, log_trend + irregular_sd * irregular_shock


def urbanisation_next(urban_prev, *, logit_drift, logit_sd, shock):
    """Urban share of population next year (0–1).

    logit(u_t) = logit(u_{t−1}) + β + σ·z_t: a logistic trend, the standard form of the
    urbanisation curve (United Nations, *World Urbanization Prospects: Methodology*, the
    urban–rural growth difference is a logit slope).
    """
    return expit(logit_step(logit(urban_prev), drift=logit_drift, sd=logit_sd, shock=shock))
