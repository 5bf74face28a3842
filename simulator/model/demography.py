"""Population and urbanisation."""

from __future__ import annotations

import numpy as np

from .transforms import expit, logit


def population_next(population_prev, *, growth_mean, growth_sd, shock):
    """Average population next year, persons.

    P_t = P_{t−1} · exp(n + σ_n·z_t): log population is a random walk with drift; n is the mean
    log growth of the merged unit's average population (calibration: ``demography.*``).
    """
    return population_prev * np.exp(growth_mean + growth_sd * shock)


def urbanisation_next(urban_prev, *, logit_drift, logit_sd, shock):
    """Urban share of population next year (0–1).

    logit(u_t) = logit(u_{t−1}) + β + σ·z_t: a logistic trend, the standard form of the
    urbanisation curve (United Nations, *World Urbanization Prospects: Methodology*, the
    urban–rural growth difference is a logit slope).
    """
    return expit(logit(urban_prev) + logit_drift + logit_sd * shock)
