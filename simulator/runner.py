"""The Monte Carlo driver: scenario in, :class:`~simulator.results.Result` out.

Paths are simulated chunk by chunk (a chunk is a whole number of blocks); only streaming
summaries survive a chunk, so memory is bounded by the chunk size. Every summary is an integer
count, so the numbers do not depend on the chunk size.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from . import __version__, draws
from .engine import ModelSetup, assumptions_behind, block_draws, simulate_paths
from .errors import InputError
from .evaluate import judge, target_values
from .metrics import CATALOGUE
from .parameters import Calibration, load_calibration
from .results import Result, TargetSummary
from .scenario import Scenario, load_scenario
from .summaries import Histogram
from .targets import Kind, Method, Registry, Transform, load_registry, value_unit

SERIES_QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)


def _file_hash(*paths: str) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def prepare(scenario: Scenario) -> tuple[ModelSetup, Registry]:
    """Resolve a scenario into the model setup and its target registry (all validation here)."""
    calibration = load_calibration(scenario.scenario.calibration)
    overrides = scenario.parameter_overrides()
    if overrides:
        calibration = calibration.with_parameter_values(overrides, origin=scenario.source_file)
    registry = load_registry(scenario.scenario.targets, metric_units={m: c.unit for m, c in CATALOGUE.items()})
    if registry.base_year != calibration.base_year:
        raise InputError(f"registry base year {registry.base_year} differs from the calibration's {calibration.base_year} "
                         f"({calibration.path})", file=registry.path, key="registry.base_year")
    horizon = scenario.scenario.horizon
    if horizon <= calibration.base_year:
        raise InputError(f"horizon {horizon} must be after the base year {calibration.base_year}",
                         file=scenario.source_file, key="scenario.horizon")
    if registry.target_year > horizon:
        raise InputError(f"the registry's target year {registry.target_year} is beyond the horizon {horizon}",
                         file=scenario.source_file, key="scenario.horizon")
    years = np.arange(calibration.base_year, horizon + 1)
    lever = scenario.levers.investment_share
    if isinstance(lever, list):
        if len(lever) != len(years) - 1:
            raise InputError(f"expected one share per simulated year ({len(years) - 1}: {years[1]}–{years[-1]}), got {len(lever)}",
                             file=scenario.source_file, key="levers.investment_share")
        lever_array = np.asarray(lever, dtype=float)
    elif lever is not None:
        lever_array = np.full(len(years) - 1, float(lever))
    else:
        lever_array = None
    mc = scenario.montecarlo
    setup = ModelSetup(calibration=calibration, years=years, investment_share=lever_array,
                       tfp_growth_boost=scenario.levers.tfp_growth_boost, seed=mc.seed, block_size=mc.block_size,
                       parameter_uncertainty=mc.parameter_uncertainty, volatility_scale=mc.volatility_scale,
                       shock_factor=draws.correlation_factor(calibration.correlation))
    return setup, registry


def _chunks(n_paths: int, block_size: int, chunk_size: int):
    """Yield lists of (block index, paths in block), each list one chunk of whole blocks."""
    blocks_per_chunk = max(1, chunk_size // block_size)
    n_blocks = -(-n_paths // block_size)
    for first in range(0, n_blocks, blocks_per_chunk):
        chunk = []
        for block in range(first, min(first + blocks_per_chunk, n_blocks)):
            chunk.append((block, min(block_size, n_paths - block * block_size)))
        yield chunk


def _simulate_chunk(setup: ModelSetup, chunk, factor: np.ndarray) -> dict[str, np.ndarray]:
    """Draw each block of the chunk from its own stream, then run the model on the chunk at once."""
    total = sum(n for _, n in chunk)
    shocks = np.empty((total, len(setup.years) - 1, factor.shape[0]))
    parts, first = [], 0
    for block, n in chunk:
        parts.append(block_draws(setup, block, n, shock_out=shocks[first: first + n]))
        first += n
    params = {}
    for name, value in parts[0][0].items():
        if isinstance(value, np.ndarray):
            params[name] = np.concatenate([np.broadcast_to(p[name], (n, 1)) for (p, _, _), (_, n) in zip(parts, chunk)])
        else:
            params[name] = value
    disaster = np.concatenate([d for _, _, d in parts])
    return simulate_paths(setup, params, shocks, disaster)


def _target_scale(target, metric: str) -> str:
    if value_unit(target, CATALOGUE[metric].unit) == "share/yr" or (target.kind is Kind.EVERY_YEAR and target.transform is Transform.CHANGE):
        return "rate" if CATALOGUE[metric].scale != "log" or target.transform is not Transform.CHANGE else "log"
    return "log" if target.kind is Kind.CUMULATIVE else CATALOGUE[metric].scale


def run_scenario(scenario: Scenario, *, keep_paths: bool = False) -> Result:
    """Simulate a validated scenario and summarise it (see :func:`simulator.run`)."""
    setup, registry = prepare(scenario)
    mc = scenario.montecarlo
    tolerance = scenario.target_options.approx_tolerance
    metric_names = tuple(CATALOGUE)
    modelled = [t for t in registry.targets if t.metric in CATALOGUE and t.method is not Method.QUALITATIVE]
    series_hist: dict[str, Histogram] = {}
    target_hist: dict[str, Histogram] = {}
    hits = {t.id: 0 for t in modelled}
    kept: dict[str, list[np.ndarray]] = {m: [] for m in metric_names} if keep_paths else {}
    factor = setup.shock_factor
    for chunk in _chunks(mc.paths, mc.block_size, mc.chunk_size):
        outcomes = _simulate_chunk(setup, chunk, factor)
        if not series_hist:  # fixed references from block 0, path 0: the same whatever the chunking
            for m in metric_names:
                ref = outcomes[m][0]
                ref = np.where(np.isfinite(ref) & (ref > 0), ref, 1.0)
                series_hist[m] = Histogram(CATALOGUE[m].scale, ref if CATALOGUE[m].scale == "log" else np.ones_like(ref))
        for m in metric_names:
            series_hist[m].add(outcomes[m])
            if keep_paths:
                kept[m].append(outcomes[m])
        for t in modelled:
            raw = target_values(t, outcomes[t.metric], setup.years, target_year=registry.target_year)
            shown, hit = judge(t, raw, CATALOGUE[t.metric].unit, tolerance)
            hits[t.id] += int(hit.sum())
            if t.id not in target_hist:
                scale = _target_scale(t, t.metric)
                ref = shown[0] if scale == "log" and np.isfinite(shown[0]) and shown[0] > 0 else 1.0
                target_hist[t.id] = Histogram(scale, np.array([ref]))
            target_hist[t.id].add(shown[:, None])
    rows = []
    for t in registry.targets:
        if t.id in hits:
            q = target_hist[t.id].quantiles((0.10, 0.50, 0.90))[0]
            rows.append(TargetSummary.evaluated(t, registry, CATALOGUE[t.metric].unit, hits[t.id], mc.paths, q,
                                                int(target_hist[t.id].undefined()[0]),
                                                assumptions_behind(t.metric, setup.calibration), tolerance))
        else:
            rows.append(TargetSummary.not_evaluated(t, registry))
    series_q = {m: series_hist[m].quantiles(SERIES_QUANTILES) for m in metric_names}
    provenance = {
        "version": __version__,
        "scenario_file": scenario.source_file,
        "scenario_hash": hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:16],
        "calibration_file": setup.calibration.path,
        "data_hash": _file_hash(setup.calibration.path, registry.path),
        "block_size": mc.block_size,
        "parameter_uncertainty": mc.parameter_uncertainty,
        "volatility_scale": mc.volatility_scale,
        "approx_tolerance": tolerance,
        "uncertain_parameters": list(setup.uncertain_parameters),
    }
    paths = {m: np.concatenate(v) for m, v in kept.items()} if keep_paths else None
    return Result(scenario=scenario, region=setup.calibration.region, registry_title=registry.title_en,
                  seed=mc.seed, paths=mc.paths, years=setup.years, target_year=registry.target_year,
                  targets=tuple(rows), series_quantiles=series_q, provenance=provenance, full_paths=paths)


def run(scenario: str | Path | Scenario, *, overrides: list[str] | tuple[str, ...] = (), keep_paths: bool = False,
        **settings) -> Result:
    """Run a scenario and return its result.

    Parameters
    ----------
    scenario : path or Scenario
        A scenario TOML file, or an already loaded :class:`~simulator.scenario.Scenario`.
    overrides : list of str
        ``"key.path=value"`` strings (as ``--set``), applied on top of the file.
    keep_paths : bool
        Also keep every simulated path (memory grows with the path count).
    **settings
        Monte Carlo options: ``paths``, ``seed``, ``chunk_size``, ``block_size``,
        ``parameter_uncertainty``, ``volatility_scale``.

    Examples
    --------
    >>> import simulator
    >>> result = simulator.run("scenarios/base.toml", paths=2000)  # doctest: +SKIP
    >>> result.targets_frame()[["id", "p_hit"]]  # doctest: +SKIP
    """
    if isinstance(scenario, Scenario):
        if overrides or settings:
            raise TypeError("overrides apply to a scenario file; pass a path, or build the Scenario with them")
        loaded = scenario
    else:
        loaded = load_scenario(scenario, overrides=overrides, **settings)
    return run_scenario(loaded, keep_paths=keep_paths)
