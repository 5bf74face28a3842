"""Satellite quantities tied to GRDP by a ratio that drifts: budget revenue, exports, income.

Each is r_t·(a GRDP aggregate) with log r_t = log r_{t−1} + d + σ·z_t, the ratio starting at its
base-year value. This is the simplest form that keeps the quantity positive, proportional to the
economy and lets its share trend (calibration: ``public.*``, ``external.*``, ``social.*``).
"""

from __future__ import annotations

import numpy as np


def ratio_next(ratio_prev, *, drift, sd, shock):
    """Next year's ratio: r_t = r_{t−1}·exp(d + σ·z_t)."""
    return ratio_prev * np.exp(drift + sd * shock)


def exports_musd(export_ratio, grdp_current_bn_vnd, usd_vnd):
    """Exports, m USD: ratio × GRDP converted to USD (bn VND × 1e9 / (VND/USD) / 1e6)."""
    return export_ratio * grdp_current_bn_vnd * 1e3 / usd_vnd


def income_per_capita_month_mvnd(income_ratio, grdp_per_capita_mvnd):
    """Average income per capita a month, m VND: ratio × GRDP per capita / 12."""
    return income_ratio * grdp_per_capita_mvnd / 12.0
