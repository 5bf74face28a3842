"""The sourced history of the merged unit before the base year, for the fan charts.

Read through the estimation code's own loaders (:mod:`simulator.estimation`): the data files of
the calibration config (``calibrate.toml`` beside the calibration file), one source chosen per
key by its stated rule, the merged unit's values where every former unit has them (sums, weighted
means; :func:`simulator.estimation.aggregate.aggregate`), and the merged unit's own rows. No
value is invented: a series with no merged observation before the base year has no history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..estimation.aggregate import aggregate, with_aggregates
from ..estimation.config import load_config
from ..estimation.data import data_vintage, load_observations, series

#: Simulated series → the data's indicator for the same quantity (same unit after the loader's
#: percent → fraction conversion).
INDICATORS = {
    "grdp_current_bn_vnd": "grdp_current",
    "grdp_per_capita_mvnd": "grdp_per_capita",
    "investment_current_bn_vnd": "investment_total",
    "labour_productivity_current_mvnd": "labour_productivity",
    "population_persons": "population_avg",
    "employed_persons": "employed",
    "budget_revenue_bn_vnd": "budget_revenue_territory",
    "exports_musd": "exports",
    "share_agri": "share_agri",
    "share_industry_construction": "share_ind_constr",
    "share_services": "share_services",
    "share_taxes": "share_taxes",
    "urbanisation_rate": "urbanisation_rate",
    "grdp_real_growth": "grdp_real_growth",
    "trained_labour_share": "trained_labour_share",
    "unemployment_rate": "unemployment_rate",
    "income_per_capita_month_mvnd": "income_per_capita_month",
    "poverty_rate": "poverty_rate",
    "life_expectancy_years": "life_expectancy",
    "doctors_per_10k": "doctors_per_10k",
}


@dataclass(frozen=True)
class History:
    """Per series, the merged unit's sourced values before the base year: metric → (years, values).

    ``config`` is the calibration config read, ``vintage`` the hash of its data files.
    """

    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    config: str = ""
    vintage: str = ""
    region: str = ""


def load_history(calibration_file: str | Path, *, base_year: int) -> History:
    """The history for the calibration in ``calibration_file``; empty when no ``calibrate.toml``
    lies beside it."""
    config_path = Path(calibration_file).parent / "calibrate.toml"
    if not config_path.is_file():
        return History()
    config = load_config(config_path)
    observations = load_observations(config)
    merged = config.merge.region
    rows = with_aggregates(observations.selected, aggregate(observations.selected, merged=merged,
                                                            components=config.merge.components,
                                                            max_weight_gap=config.merge.max_weight_gap))
    out = {}
    for metric, indicator in INDICATORS.items():
        values = series(rows, merged, indicator, last_year=base_year - 1)
        if len(values):
            out[metric] = (values.index.to_numpy(dtype=int), values.to_numpy(dtype=float))
    return History(out, str(config_path), data_vintage(config.data_files), merged)
