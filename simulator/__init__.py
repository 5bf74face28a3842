"""Scenario simulation and forecasting engine for provincial 2030 targets.

The pipeline, one hand-off per stage: :func:`load_scenario` (a TOML file) → :func:`resolve`
(calibration, registry, explicit levers, the random-number contract) → :func:`run` or
:func:`run_variants` (draws once per chunk, simulates every variant, evaluates, summarises).

>>> import simulator
>>> result = simulator.run("scenarios/base.toml", paths=10_000)  # doctest: +SKIP
>>> result.targets_frame()  # doctest: +SKIP

The names below load on first use, so that the ``simulate`` command can answer Ctrl-C while
numpy, scipy and pandas are still being imported.
"""

import importlib

__version__ = "0.2.0"

#: Public name -> the module that defines it.
_EXPORTS = {"InputError": "errors", "Inputs": "inputs", "resolve": "inputs", "Variant": "runner",
            "VariantRun": "runner", "run": "runner", "run_variants": "runner", "load_scenario": "scenario"}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'simulator' has no attribute '{name}'")


def __dir__():
    return __all__
