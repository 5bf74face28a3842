"""Employment, its sector split, unemployment, trained labour and human capital."""

from __future__ import annotations

import numpy as np

from .transforms import alr_inverse, expit, logit, logit_step


def employment_ratio_next(ratio_prev, *, growth_mean, growth_sd, shock):
    """Employed persons per inhabitant next year (0–1).

    log e_t = log e_{t−1} + g_e + σ_e·z_t, capped below 1 (a ratio of persons). Employed persons
    are E_t = P_t·e_t (design "core model v1").
    """
    return np.minimum(ratio_prev * np.exp(growth_mean + growth_sd * shock), 1.0)


def log_employment_ratio_next(log_ratio_prev, *, growth_mean, growth_sd, shock):
    """:func:`employment_ratio_next` in logs, the engine's state: log e_t capped at 0."""
    return np.minimum(log_ratio_prev + growth_mean + growth_sd * shock, 0.0)


def unemployment_next(rate_prev, *, mean, persistence, sd, shock):
    """Unemployment rate next year (0–1): an AR(1) around its long-run mean, floored at 0.

    u_t = μ + ρ·(u_{t−1} − μ) + σ·z_t.
    """
    return np.maximum(mean + persistence * (rate_prev - mean) + sd * shock, 0.0)


def employment_structure_next(log_ratios_prev, *, drift, sd, shocks):
    """Sector split of employment next year as an additive log-ratio random walk with drift.

    Components first, paths last (the engine's layout).

    Parameters
    ----------
    log_ratios_prev : array (2, paths)
        log(agri/services), log(industry-construction/services).
    drift, sd : array (2, 1) or (2, paths)
        Drift and shock scale of each log-ratio a year.
    shocks : array (2, paths)
        Standard-normal (correlated) shocks.

    Returns
    -------
    log_ratios : array (2, paths)
    shares : array (3, paths)
        Agriculture–forestry–fisheries, industry–construction, services; positive, summing to 1.
    """
    log_ratios = log_ratios_prev + drift + sd * shocks
    return log_ratios, alr_inverse(log_ratios, axis=0)


def trained_share_next(share_prev, *, logit_drift, logit_sd, shock):
    """Share of workers with a degree or certificate next year (0–1), a logistic trend
    (the engine steps its logit, :func:`simulator.model.transforms.logit_step`)."""
    return expit(logit_step(logit(share_prev), drift=logit_drift, sd=logit_sd, shock=shock))


def human_capital_index(trained_share, *, return_to_training):
    """Human capital per worker, h = exp(ψ·trained share).

    The Mincerian form used by the Penn World Table's human capital index (Feenstra, Inklaar &
    Timmer 2015, doi:10.1257/aer.20130954), with the trained share standing in for schooling and
    ψ the log wage premium of a trained worker.
    """
    return np.exp(return_to_training * trained_share)
