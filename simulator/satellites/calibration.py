"""The satellite calibration file: base-year values and parameters of the satellite models.

Same layout as the core calibration (``[meta]``, ``[base.<name>]``, ``[parameters.<block>.<name>]``;
each table ``value``, ``unit``, ``source``, optional ``se``, ``note``, ``assumption = true``), read
by its own loader so that the core calibration can evolve independently. The names and units
below belong to the satellite models; the numbers live in ``calibration/satellites.toml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path


from ..sourced import POSITIVE, Value, flatten_blocks, read_calibration_file, read_values, with_overrides

_LISTED_IN = "simulator/satellites/calibration.py"

_INF = math.inf
_SHARE = ("share", 0.0, 1.0)
_OPEN_SHARE = ("share", 1e-6, 1.0 - 1e-6)  # logit trends need a share strictly inside (0, 1)

#: Bounded indicators that follow a logistic trend; each has a base value and
#: ``trends.<name>_drift`` (logit/yr) and ``trends.<name>_sd`` (logit/yr) parameters.
LOGIT_TRENDS: tuple[str, ...] = (
    "digital_economy_share", "online_public_services_use_rate", "innovating_enterprises_share",
    "patent_commercialisation_rate", "health_insurance_coverage_rate",
    "preschools_national_standard_share", "primary_schools_national_standard_share",
    "lower_secondary_schools_national_standard_share", "upper_secondary_schools_national_standard_share",
    "urban_solid_waste_treated_rate", "hazardous_waste_treated_rate", "rural_clean_water_households_share",
    "forest_cover_rate", "private_economy_share",
)

#: Stocks reported per 10,000 inhabitants; base value per 10,000 and ``stocks.<name>_growth``
#: (log/yr) and ``stocks.<name>_sd`` parameters. The stock is the base ratio times the base population.
STOCKS_PER_10K: tuple[str, ...] = ("doctors_per_10k", "hospital_beds_per_10k", "rd_staff_per_10k")

#: School levels whose shares make up the overall share (weights: numbers of schools).
SCHOOL_LEVELS: tuple[str, ...] = ("preschools", "primary_schools", "lower_secondary_schools", "upper_secondary_schools")

BASE_SPEC: dict[str, tuple[str, float, float]] = {
    **{name: _OPEN_SHARE for name in LOGIT_TRENDS},
    **{name: ("per 10,000 population", POSITIVE, _INF) for name in STOCKS_PER_10K},  # a stock grows from > 0
    **{f"{level}_count": ("count", POSITIVE, _INF) for level in SCHOOL_LEVELS},  # weights of the overall share
    "poverty_rate": _OPEN_SHARE,
    "life_expectancy_years": ("years", 20.0, 100.0),
    "mean_years_schooling": ("years", 0.0, 20.0),
    "expected_years_schooling": ("years", 0.0, 25.0),
    "intl_scientific_publications_count": ("count", 1.0, _INF),
    "patent_applications_and_grants_count": ("count", 1.0, _INF),
    "social_housing_completed_dwellings": ("dwellings", 0.0, _INF),
    "hdi_official_index": ("index", 0.3, 1.0),
}

PARAMETER_SPEC: dict[str, tuple[str, float, float]] = {
    **{f"trends.{name}_drift": ("logit/yr", -2.0, 2.0) for name in LOGIT_TRENDS},
    **{f"trends.{name}_sd": ("logit/yr", 0.0, 2.0) for name in LOGIT_TRENDS},
    **{f"stocks.{name}_growth": ("log/yr", -1.0, 1.0) for name in STOCKS_PER_10K},
    **{f"stocks.{name}_sd": ("log/yr", 0.0, 1.0) for name in STOCKS_PER_10K},
    "poverty.income_elasticity": ("elasticity", 0.0, 10.0),
    "poverty.drift": ("log/yr", -2.0, 2.0),
    "poverty.sd": ("log/yr", 0.0, 2.0),
    "health.life_expectancy_slope": ("years/yr", -2.0, 2.0),
    "health.life_expectancy_sd": ("years/yr", 0.0, 5.0),
    "health.healthy_to_total_life_expectancy": _SHARE,
    "hdi.mean_years_schooling_slope": ("years/yr", -1.0, 1.0),
    "hdi.expected_years_schooling_slope": ("years/yr", -1.0, 1.0),
    "hdi.schooling_sd": ("years/yr", 0.0, 2.0),
    "hdi.gni_to_grdp_ratio": ("ratio", 0.5, 1.5),
    "hdi.ppp_vnd_per_dollar": ("VND per PPP $", 1.0, _INF),
    "science.publications_growth": ("log/yr", -1.0, 1.0),
    "science.publications_sd": ("log/yr", 0.0, 2.0),
    "science.patents_growth": ("log/yr", -1.0, 1.0),
    "science.patents_dispersion": ("NB size", 0.01, 1e6),
    "housing.completions_mean": ("dwellings/yr", 0.0, _INF),
    "housing.completions_dispersion": ("NB size", 0.01, 1e6),
}

#: The NB size of each over-dispersed count (order of simulator.satellites.engine.COUNTS): one number
#: for all paths, since it shapes the counts' raw gamma draws (simulator.draws).
COUNT_DISPERSIONS: tuple[str, ...] = ("science.patents_dispersion", "housing.completions_dispersion")

#: Parameters that scale a shock: multiplied by the scenario's volatility_scale.
SD_PARAMETERS: tuple[str, ...] = tuple(n for n in PARAMETER_SPEC if n.endswith("_sd") or n == "poverty.sd")


@dataclass(frozen=True)
class SatelliteCalibration:
    """Base-year values (``base``) and parameters (``"block.name"``) of the satellite models."""

    path: str
    region: str
    base_year: int
    base: dict[str, Value]
    parameters: dict[str, Value]

    def value(self, name: str) -> float:
        return self.parameters[name].value

    def entry(self, name: str) -> Value:
        """A drawn entry by its contract name: a parameter, or ``base.<name>`` for a base value."""
        return self.base[name[5:]] if name.startswith("base.") else self.parameters[name]

    def with_values(self, *, parameters: dict[str, float], base: dict[str, float], origin) -> SatelliteCalibration:
        """A copy with some parameter and base-year values replaced (scenario ``[satellite_parameters]``
        and ``[satellite_base]``); ``origin(key)`` names the file that set each key."""
        params = with_overrides(self.parameters, parameters, origin=origin, key_prefix="satellite_parameters",
                                listed_in=_LISTED_IN)
        values = with_overrides(self.base, base, origin=origin, key_prefix="satellite_base", listed_in=_LISTED_IN)
        return SatelliteCalibration(self.path, self.region, self.base_year, values, params)


def load_satellite_calibration(path: str | Path) -> SatelliteCalibration:
    """Read and validate a satellite calibration file.

    Raises
    ------
    InputError
        Naming the file and key, for a missing file, invalid TOML, an unknown or missing name, a
        unit other than the model's, or a value out of range.
    """
    path = Path(path)
    raw, meta = read_calibration_file(path, sections=("meta", "base", "parameters"), what="satellite calibration file")
    base = read_values(raw.get("base", {}), BASE_SPEC, file=path, prefix="base", listed_in=_LISTED_IN)
    parameters = read_values(flatten_blocks(raw.get("parameters", {}), file=path), PARAMETER_SPEC, file=path,
                             prefix="parameters", listed_in=_LISTED_IN)
    return SatelliteCalibration(str(path), meta.region, meta.base_year, base, parameters)
