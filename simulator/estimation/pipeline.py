"""One calibration run end to end: config → data → estimates → calibration file and data report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..files import parse_toml
from ..parameters import calibration_from_raw
from .calibrate import CalibrationRun, estimate_parameters, project_path
from .config import CalibrateConfig, load_config
from .data import Observations, data_vintage, load_observations
from .report import render_report
from .writer import read_priors, render


@dataclass(frozen=True)
class CalibrationOutput:
    """A calibration run and what it writes.

    Attributes
    ----------
    config : CalibrateConfig
    observations : Observations
    run : CalibrationRun
        Estimates, fallbacks and the statsmodels fits.
    text : str
        The calibration file.
    report : str
        The data report (Markdown).
    parameters_path, report_path : Path
    """

    config: CalibrateConfig
    observations: Observations
    run: CalibrationRun
    text: str
    report: str
    parameters_path: Path
    report_path: Path


def calibrate(config_path: str | Path, *, allow_outside: bool = False) -> CalibrationOutput:
    """Load data and priors, estimate, and render the calibration file and the data report
    (paths outside the config's project tree only with ``allow_outside``)."""
    config = load_config(config_path, allow_outside=allow_outside)
    observations = load_observations(config)
    priors = read_priors(config.resolve(config.output.priors))
    run = estimate_parameters(config, observations, priors)
    vintage = data_vintage(config.data_files)
    text = render(run, priors, data_vintage=vintage, folder=project_path(Path(config.path).parent, config=config.path))
    parameters_path = config.resolve(config.output.parameters)
    # what simulate would refuse is never written: the estimates pass the calibration file's rules
    where = f"{parameters_path} (as simulate calibrate would write it)"
    calibration_from_raw(parse_toml(text, file=where), path=where)
    report = render_report(observations, run, priors, regions=config.data.regions, merged=config.merge.region,
                           sources=dict(config.sources),
                           data_vintage=vintage)
    return CalibrationOutput(config, observations, run, text, report, parameters_path,
                             config.resolve(config.output.report))

