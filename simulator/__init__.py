"""Scenario simulation and forecasting engine for provincial 2030 targets.

>>> import simulator
>>> result = simulator.run("scenarios/base.toml", paths=10_000)  # doctest: +SKIP
>>> result.targets_frame()  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .errors import InputError  # noqa: E402
from .runner import run  # noqa: E402

__all__ = ["run", "InputError", "__version__"]
