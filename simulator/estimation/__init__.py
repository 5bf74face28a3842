"""Calibration from sourced history: data, aggregation, estimation, the calibration file, backtest.

Generic: every place-specific choice (files, regions, years, which series feed which estimate)
comes from a config file such as ``calibration/calibrate.toml``. Modules, in pipeline order:
``config`` → ``data`` (validation, source choice) → ``aggregate`` (merged unit) → ``estimators``
(statsmodels wrappers) → ``calibrate`` (which estimate feeds which parameter) → ``writer`` and
``report``; ``pipeline.calibrate`` runs them all; ``backtest`` scores the processes on history.
The package imports nothing itself, so the CLI stays quick when statsmodels is not needed.

>>> from simulator.estimation.pipeline import calibrate
>>> out = calibrate("calibration/calibrate.toml")                 # doctest: +SKIP
>>> out.run.fits["deflator"].persistence.results.summary()        # doctest: +SKIP
"""
