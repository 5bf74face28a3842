"""GRDP deflator and exchange rate."""

from __future__ import annotations

import numpy as np


def deflator_growth_next(growth_prev, *, mean, persistence, sd, shock):
    """GRDP deflator inflation next year (log points), AR(1): π_t = μ + ρ(π_{t−1} − μ) + σ·z_t."""
    return mean + persistence * (growth_prev - mean) + sd * shock


def exchange_rate_next(rate_prev, *, depreciation_mean, depreciation_sd, shock):
    """VND per USD next year: a log random walk with drift (trend depreciation of the dong)."""
    return rate_prev * np.exp(depreciation_mean + depreciation_sd * shock)
