"""Scenario simulation and forecasting engine for provincial 2030 targets.

The pipeline, one hand-off per stage: :func:`load_scenario` (a TOML file) → :func:`resolve`
(calibration, registry, explicit levers, the random-number contract) → :func:`run` or
:func:`run_variants` (draws once per chunk, simulates every variant, evaluates, summarises).

>>> import simulator
>>> result = simulator.run("scenarios/base.toml", paths=10_000)  # doctest: +SKIP
>>> result.targets_frame()  # doctest: +SKIP
"""

__version__ = "0.2.0"

from .errors import InputError  # noqa: E402
from .inputs import Inputs, resolve  # noqa: E402
from .runner import Variant, VariantRun, run, run_variants  # noqa: E402
from .scenario import load_scenario  # noqa: E402

__all__ = ["Inputs", "InputError", "Variant", "VariantRun", "__version__", "load_scenario", "resolve", "run",
           "run_variants"]
