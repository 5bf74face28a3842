"""The Monte Carlo driver: scenario in, :class:`~simulator.results.Result` out.

Paths are simulated chunk by chunk (a chunk is a whole number of blocks): the core model, then
the satellite models on the same paths, then the prior targets' draws. Only streaming summaries
survive a chunk (hit counts, fixed-bin histograms, the joint co-hit counts), so memory is bounded
by the chunk size. Every summary is an integer count, so the numbers do not depend on the chunk
size.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import numpy as np

from . import __version__, draws
from .engine import ModelSetup, assumptions_behind, block_draws, simulate_paths
from .errors import InputError
from .evaluate import judge, target_values
from .joint import JointCounter
from .metrics import CATALOGUE, KNOWN_UNITS, SATELLITE_CATALOGUE, SERIES
from .parameters import load_calibration
from .priors import PriorSet, prior_hits, prior_set
from .results import Result, TargetSummary
from .satellites import SatelliteSetup, chunk_draws, load_satellite_calibration, simulate_satellites
from .satellites.engine import satellite_assumptions
from .scenario import Scenario, load_scenario
from .summaries import Histogram
from .targets import Kind, Method, Registry, Transform, load_registry, value_unit

#: Named groups of the joint summary besides the registry's own groups.
ALL_MODELLED, ALL_EVALUATED = "all_modelled", "all"

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
    simulated = set(SERIES) if scenario.scenario.satellites else set(CATALOGUE)
    if not scenario.scenario.satellites:
        _require_satellites(scenario)
    registry = load_registry(scenario.scenario.targets, metric_units=KNOWN_UNITS, simulated=simulated)
    _check_tolerances(scenario, registry)
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


def _require_satellites(scenario: Scenario) -> None:
    """A registry with satellite rows needs the satellite calibration file: say so plainly."""
    rows = tomllib.loads(Path(scenario.scenario.targets).read_text(encoding="utf-8")).get("target", [])
    needing = [r.get("id") for r in rows if r.get("metric") in SATELLITE_CATALOGUE and r.get("method") in ("model", "trend")]
    if needing:
        raise InputError(f"targets {', '.join(map(str, needing[:5]))}{' …' if len(needing) > 5 else ''} need the satellite "
                         "models: set scenario.satellites to a satellite calibration file (calibration/satellites.toml)",
                         file=scenario.source_file, key="scenario.satellites")


def _check_tolerances(scenario: Scenario, registry: Registry) -> None:
    approx = {t.id for t in registry.targets if t.approx}
    for key in scenario.target_options.approx_tolerance_by_target:
        if key not in approx:
            raise InputError(f"'{key}' is not an \"about\" (approx = true) target of {registry.path}; such targets: "
                             f"{', '.join(sorted(approx))}", file=scenario.source_file,
                             key=f"target_options.approx_tolerance_by_target.{key}")


def prepare_extensions(scenario: Scenario, setup: ModelSetup, registry: Registry) -> tuple[SatelliteSetup | None, PriorSet]:
    """The satellite models' setup (None without a satellite calibration) and the prior targets."""
    sat = None
    if scenario.scenario.satellites:
        calibration = load_satellite_calibration(scenario.scenario.satellites)
        if calibration.base_year != setup.calibration.base_year:
            raise InputError(f"satellite base year {calibration.base_year} differs from the core calibration's "
                             f"{setup.calibration.base_year}", file=calibration.path, key="meta.base_year")
        overrides = scenario.satellite_parameter_overrides()
        if overrides:
            calibration = calibration.with_parameter_values(overrides, origin=scenario.source_file)
        mc = scenario.montecarlo
        sat = SatelliteSetup(calibration=calibration, horizon=len(setup.years) - 1, seed=mc.seed, block_size=mc.block_size,
                             parameter_uncertainty=mc.parameter_uncertainty, volatility_scale=mc.volatility_scale)
    elif scenario.satellite_parameters:
        raise InputError("satellite_parameters given but scenario.satellites names no satellite calibration",
                         file=scenario.source_file, key="satellite_parameters")
    return sat, prior_set(registry, scenario)


def _chunks(n_paths: int, block_size: int, chunk_size: int):
    """Yield lists of (block index, paths in block), each list one chunk of whole blocks."""
    blocks_per_chunk = max(1, chunk_size // block_size)
    n_blocks = -(-n_paths // block_size)
    for first in range(0, n_blocks, blocks_per_chunk):
        chunk = []
        for block in range(first, min(first + blocks_per_chunk, n_blocks)):
            chunk.append((block, min(block_size, n_paths - block * block_size)))
        yield chunk


def _simulate_chunk(setup: ModelSetup, chunk, factor: np.ndarray, sat: SatelliteSetup | None = None,
                    priors: PriorSet | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Draw each block of the chunk from its own streams, then run the models on the chunk at once.

    Returns the series {metric: (paths, years)} (core, then satellites) and the prior targets'
    hits (paths, k).
    """
    total = sum(n for _, n in chunk)
    shocks = np.empty((factor.shape[0], len(setup.years) - 1, total))  # shock-major: see simulator.draws
    parts, first = [], 0
    for block, n in chunk:
        parts.append(block_draws(setup, block, n, shock_out=shocks[:, :, first: first + n]))
        first += n
    params = {}
    for name, value in parts[0][0].items():
        if isinstance(value, np.ndarray):
            params[name] = np.concatenate([np.broadcast_to(p[name], (n, 1)) for (p, _, _), (_, n) in zip(parts, chunk)])
        else:
            params[name] = value
    disaster = np.concatenate([d for _, _, d in parts])
    outcomes = simulate_paths(setup, params, shocks.T, disaster)
    if sat is not None:
        outcomes.update(simulate_satellites(sat, outcomes, chunk_draws(sat, chunk)))
    k = len(priors.ids) if priors is not None else 0
    hits = (np.concatenate([prior_hits(priors, seed=setup.seed, block=block, n_paths=n, block_size=setup.block_size) for block, n in chunk])
            if k else np.zeros((total, 0), dtype=bool))
    return outcomes, hits


def _target_scale(target, metric: str) -> str:
    if value_unit(target, SERIES[metric].unit) == "share/yr" or (target.kind is Kind.EVERY_YEAR and target.transform is Transform.CHANGE):
        return "rate" if SERIES[metric].scale != "log" or target.transform is not Transform.CHANGE else "log"
    return "log" if target.kind is Kind.CUMULATIVE else SERIES[metric].scale


def _joint_groups(evaluated) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for t in evaluated:
        groups.setdefault(t.group, []).append(t.id)
    groups[ALL_MODELLED] = [t.id for t in evaluated if t.method is not Method.PRIOR]
    groups[ALL_EVALUATED] = [t.id for t in evaluated]
    return {g: tuple(m) for g, m in groups.items() if m}


def _hits_of_chunk(evaluated, outcomes, prior_hit, prior_column, target_hist, hits, years, target_year,
                   options) -> np.ndarray:
    """Hit matrix (paths, evaluated targets) of one chunk; adds to the hit counts and the
    histograms of the targets' deciding values (a function, so its arrays die with the chunk)."""
    hit_matrix = np.empty((prior_hit.shape[0], len(evaluated)), dtype=bool)
    for j, t in enumerate(evaluated):
        if t.method is Method.PRIOR:
            hit = prior_hit[:, prior_column[t.id]]
        else:
            raw = target_values(t, outcomes[t.metric], years, target_year=target_year)
            shown, hit = judge(t, raw, SERIES[t.metric].unit, options.tolerance(t.id))
            if t.id not in target_hist:
                scale = _target_scale(t, t.metric)
                ref = shown[0] if scale == "log" and np.isfinite(shown[0]) and shown[0] > 0 else 1.0
                target_hist[t.id] = Histogram(scale, np.array([ref]))
            target_hist[t.id].add(shown[:, None])
        hits[t.id] += int(hit.sum())
        hit_matrix[:, j] = hit
    return hit_matrix


def run_scenario(scenario: Scenario, *, keep_paths: bool = False) -> Result:
    """Simulate a validated scenario and summarise it (see :func:`simulator.run`)."""
    setup, registry = prepare(scenario)
    sat, priors = prepare_extensions(scenario, setup, registry)
    mc = scenario.montecarlo
    options = scenario.target_options
    simulated = SERIES if sat is not None else CATALOGUE
    modelled = [t for t in registry.targets if t.metric in simulated and t.method in (Method.MODEL, Method.TREND)]
    prior_rows = [t for t in registry.targets if t.method is Method.PRIOR]
    evaluated = [t for t in registry.targets if t in modelled or t in prior_rows]
    prior_column = {t.id: j for j, t in enumerate(prior_rows)}
    series_hist: dict[str, Histogram] = {}
    target_hist: dict[str, Histogram] = {}
    hits = {t.id: 0 for t in evaluated}
    joint = JointCounter(tuple(t.id for t in evaluated), _joint_groups(evaluated))
    kept: dict[str, list[np.ndarray]] = {m: [] for m in simulated} if keep_paths else {}
    kept_hits: list[np.ndarray] = []
    factor = setup.shock_factor
    for chunk in _chunks(mc.paths, mc.block_size, mc.chunk_size):
        outcomes, prior_hit = _simulate_chunk(setup, chunk, factor, sat, priors)
        if not series_hist:  # fixed references from block 0, path 0: the same whatever the chunking
            for m in simulated:
                ref = outcomes[m][0]
                ref = np.where(np.isfinite(ref) & (ref > 0), ref, 1.0)
                series_hist[m] = Histogram(SERIES[m].scale, ref if SERIES[m].scale == "log" else np.ones_like(ref))
        for m in simulated:
            series_hist[m].add(outcomes[m])
            if keep_paths:
                kept[m].append(outcomes[m])
        hit_matrix = _hits_of_chunk(evaluated, outcomes, prior_hit, prior_column, target_hist, hits,
                                    setup.years, registry.target_year, options)
        joint.add(hit_matrix)
        if keep_paths:
            kept_hits.append(hit_matrix)
        del outcomes, prior_hit, hit_matrix  # free this chunk before the next one is drawn: one chunk in memory
    rows = []
    for t in registry.targets:
        if t.id in target_hist:
            q = target_hist[t.id].quantiles((0.10, 0.50, 0.90))[0]
            assumptions = (assumptions_behind(t.metric, setup.calibration) if t.metric in CATALOGUE
                           else satellite_assumptions(t.metric, sat.calibration, setup.calibration))
            rows.append(TargetSummary.evaluated(t, registry, SERIES[t.metric].unit, hits[t.id], mc.paths, q,
                                                int(target_hist[t.id].undefined()[0]), assumptions, options.tolerance(t.id)))
        elif t.id in prior_column:
            prior = scenario.priors[t.id]
            rows.append(TargetSummary.from_prior(t, registry, hits[t.id], mc.paths, prior.mean, prior.reason,
                                                 [f"priors.{t.id}"] if prior.assumption else []))
        else:
            rows.append(TargetSummary.not_evaluated(t, registry))
    series_q = {m: series_hist[m].quantiles(SERIES_QUANTILES) for m in simulated}
    data_files = [setup.calibration.path, registry.path] + ([sat.calibration.path] if sat is not None else [])
    provenance = {
        "version": __version__,
        "scenario_file": scenario.source_file,
        "scenario_hash": hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:16],
        "calibration_file": setup.calibration.path,
        "satellite_calibration_file": sat.calibration.path if sat is not None else None,
        "data_hash": _file_hash(*data_files),
        "block_size": mc.block_size,
        "parameter_uncertainty": mc.parameter_uncertainty,
        "volatility_scale": mc.volatility_scale,
        "approx_tolerance": options.approx_tolerance,
        "approx_tolerance_by_target": dict(options.approx_tolerance_by_target),
        "prior_correlation": options.prior_correlation,
        "uncertain_parameters": list(setup.uncertain_parameters) + (["sat." + n for n in sat.uncertain_parameters] if sat else []),
    }
    paths = {m: np.concatenate(v) for m, v in kept.items()} if keep_paths else None
    return Result(scenario=scenario, region=setup.calibration.region, region_vi=setup.calibration.region_vi, registry_title=registry.title_en,
                  seed=mc.seed, paths=mc.paths, years=setup.years, target_year=registry.target_year,
                  targets=tuple(rows), series_quantiles=series_q, provenance=provenance, full_paths=paths,
                  joint=joint.summary(), full_hits=np.concatenate(kept_hits) if keep_paths else None)


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
        Monte Carlo options (``paths``, ``seed``, ``chunk_size``, ``block_size``,
        ``parameter_uncertainty``, ``volatility_scale``) and levers (``investment_share``,
        ``tfp_growth_boost``), e.g. ``run("scenarios/base.toml", investment_share=0.4)``.

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
