"""Satellite models: the targets the core model does not produce, linked to it where it matters.

Each indicator is a pure vectorised function of the core model's paths, the satellite
calibration (``calibration/satellites.toml``) and its own raw draws (streams of
:mod:`simulator.draws` the core never uses):

- :mod:`.equations`: the equations (HDI by the UNDP formula, poverty with an income elasticity,
  bounded logit trends, stocks per 10,000 inhabitants, counts with over-dispersion);
- :mod:`.calibration`: the names, units and bounds the satellites need, and the file loader;
- :mod:`.engine`: the parameters of each path and the year loop over a set of paths.
"""

from .calibration import SatelliteCalibration, load_satellite_calibration
from .engine import SATELLITE_SERIES, satellite_parameter_values, simulate_satellites

__all__ = ["SATELLITE_SERIES", "SatelliteCalibration", "load_satellite_calibration", "satellite_parameter_values",
           "simulate_satellites"]
