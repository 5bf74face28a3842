"""Satellite models: the targets the core model does not produce, linked to it where it matters.

Each indicator is a pure vectorised function of the core model's paths, the satellite
calibration (``calibration/satellites.toml``) and its own draws (new streams of
:mod:`simulator.draws`, so the core's numbers for a seed never change):

- :mod:`.equations`: the equations (HDI by the UNDP formula, poverty with an income elasticity,
  bounded logit trends, stocks per 10,000 inhabitants, counts with over-dispersion);
- :mod:`.calibration`: the names, units and bounds the satellites need, and the file loader;
- :mod:`.engine`: per-block draws and the year loop over a set of paths.
"""

from .calibration import SatelliteCalibration, load_satellite_calibration
from .engine import (
           SATELLITE_METRIC_INPUTS,
           SatelliteSetup,
           chunk_draws,
           satellite_block_draws,
           simulate_satellites,
)

__all__ = [
           "SATELLITE_METRIC_INPUTS",
           "SatelliteCalibration",
           "SatelliteSetup",
           "chunk_draws",
           "load_satellite_calibration",
           "satellite_block_draws",
           "simulate_satellites",
]
