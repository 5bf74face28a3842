"""Sector shares of GRDP at current prices.

Five components, in this order: agriculture–forestry–fisheries, industry, construction, product
taxes less subsidies, services (the reference of the log-ratios). An additive log-ratio random
walk with drift keeps every share in (0, 1) with the five summing to one on every path.
"""

from __future__ import annotations

from .transforms import alr_inverse

COMPONENTS = ("agri", "industry", "construction", "taxes", "services")


def sector_structure_next(log_ratios_prev, *, drift, sd, shocks):
    """Next year's log-ratios (4, paths) and shares (5, paths), components first.

    x_t = x_{t−1} + d + σ∘z_t with x_j = log(s_j / s_services); ``drift`` and ``sd`` are (4, 1)
    or (4, paths), ``shocks`` (4, paths).
    """
    log_ratios = log_ratios_prev + drift + sd * shocks
    return log_ratios, alr_inverse(log_ratios, axis=0)
