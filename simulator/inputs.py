"""Resolve a scenario into the engine's inputs: all file reading and validation ends here.

:func:`resolve` reads the calibration files and the target registry a scenario names, applies the
scenario's overrides (``[base]``, ``[parameters]``, ``[satellite_base]``,
``[satellite_parameters]``), turns every lever into an explicit array (:mod:`simulator.levers`),
and fixes the random-number contract: which primitives are drawn per path and which raw draws
the chunk needs (:class:`simulator.draws.RandomContract`). What comes out is frozen; the engine,
the evaluation and the summaries never read a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np

from .draws import RandomContract
from .errors import InputError
from .files import read_toml
from .levers import HISTORICAL, LEVERS, ResolvedLevers, lever_array
from .metrics import CATALOGUE, KNOWN_UNITS, SATELLITE_CATALOGUE, SERIES
from .parameters import Calibration, load_calibration
from .priors import PriorSet, prior_set
from .satellites.calibration import COUNT_DISPERSIONS, SatelliteCalibration, load_satellite_calibration
from .satellites.engine import SHOCKS as SATELLITE_SHOCKS
from .scenario import Scenario, TargetOptions
from .targets import Method, Registry, load_registry


@dataclass(frozen=True)
class Inputs:
    """Everything one variant of a run needs, resolved and validated.

    Attributes
    ----------
    name, title, source_file, scenario_hash : str
    calibration : Calibration
        Core base year and parameters, with the scenario's overrides.
    satellites : SatelliteCalibration or None
    registry : Registry
    years : int array (H + 1,)
        Base year, then every simulated year.
    contract : RandomContract
        What the raw draws depend on; variants with the same contract share draws.
    levers : ResolvedLevers
    priors : PriorSet
    target_options : TargetOptions
    paths, chunk_size : int
    volatility_scale : float
        Multiplies every shock scale (0: the deterministic path, no disasters).
    """

    name: str
    title: str
    source_file: str
    scenario_hash: str
    calibration: Calibration
    satellites: SatelliteCalibration | None
    registry: Registry
    years: np.ndarray
    contract: RandomContract
    levers: ResolvedLevers
    priors: PriorSet
    target_options: TargetOptions
    paths: int
    chunk_size: int
    volatility_scale: float
    outside_view: object = None  # simulator.outside_view.Reference, when the scenario names its config

    @property
    def horizon(self) -> int:
        return len(self.years) - 1

    @property
    def simulated(self) -> dict:
        """The series this run simulates (core, and satellites when their calibration is given)."""
        return SERIES if self.satellites is not None else CATALOGUE

    @property
    def data_files(self) -> list[str]:
        return [self.calibration.path, self.registry.path] + ([self.satellites.path] if self.satellites else [])

    def with_levers(self, levers: ResolvedLevers) -> "Inputs":
        return replace(self, levers=levers)


def resolve(scenario: Scenario, *, levers: dict | None = None) -> Inputs:
    """The inputs of a validated scenario.

    Parameters
    ----------
    scenario : Scenario
    levers : dict, optional
        Lever values from the Python API that replace the scenario's: a number, one per simulated
        year, or a per-path array shaped (paths,) or (years, paths).

    Raises
    ------
    InputError
        Naming the file and key of anything inconsistent: base years, horizon, lever ranges and
        lengths, overrides of unknown or derived names, priors, tolerances.
    """
    origin = scenario.origin_of
    calibration = as_read = load_calibration(scenario.scenario.calibration)
    if scenario.parameters or scenario.base:
        calibration = calibration.with_values(parameters=scenario.parameter_overrides(), base=dict(scenario.base),
                                              origin=origin)
    satellites = _satellites(scenario, calibration)
    if satellites is not None:
        _check_hdi_anchor(scenario, calibration, satellites)
    simulated = set(SERIES) if satellites is not None else set(CATALOGUE)
    if satellites is None:
        _require_satellites(scenario)
    registry = load_registry(scenario.scenario.targets, metric_units=KNOWN_UNITS, simulated=simulated)
    _check_tolerances(scenario, registry)  # against the rows as written: a reading may drop "about"
    if scenario.target_options.readings:
        registry = registry.with_readings(dict(scenario.target_options.readings), origin=origin,
                                          metric_units=KNOWN_UNITS, simulated=simulated)
    if registry.base_year != calibration.base_year:
        raise InputError(f"registry base year {registry.base_year} differs from the calibration's {calibration.base_year} "
                         f"({calibration.path})", file=registry.path, key="registry.base_year")
    horizon = scenario.scenario.horizon
    if horizon <= calibration.base_year:
        raise InputError(f"horizon {horizon} must be after the base year {calibration.base_year}",
                         file=origin("scenario.horizon"), key="scenario.horizon")
    if horizon - calibration.base_year > 100:
        raise InputError(f"horizon {horizon} is more than 100 years after the base year {calibration.base_year}",
                         file=origin("scenario.horizon"), key="scenario.horizon")
    if registry.target_year > horizon:
        raise InputError(f"the registry's target year {registry.target_year} is beyond the horizon {horizon}",
                         file=origin("scenario.horizon"), key="scenario.horizon")
    years = np.arange(calibration.base_year, horizon + 1)
    mc = scenario.montecarlo
    resolved = resolve_levers(scenario, calibration, horizon=len(years) - 1, api=levers or {}, n_paths=mc.paths)
    priors = prior_set(registry, scenario)
    contract = _contract(scenario, calibration, satellites, priors, horizon=len(years) - 1)
    reference = None
    if scenario.scenario.outside_view:
        from .outside_view import load_reference

        reference = load_reference(scenario.scenario.outside_view, registry=registry, calibration=as_read)
    return Inputs(name=scenario.scenario.name, title=scenario.scenario.title, source_file=scenario.source_file,
                  scenario_hash=_scenario_hash(scenario),
                  calibration=calibration, satellites=satellites, registry=registry, years=years, contract=contract,
                  levers=resolved, priors=priors, target_options=scenario.target_options, paths=mc.paths,
                  chunk_size=mc.chunk_size, volatility_scale=mc.volatility_scale, outside_view=reference)


def _scenario_hash(scenario: Scenario) -> str:
    """Digest of the scenario as resolved, less the chunk size: it never changes a number, so runs
    that differ only in it write the same results.json."""
    text = scenario.model_dump_json(exclude={"montecarlo": {"chunk_size"}})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def resolve_levers(scenario: Scenario, calibration: Calibration, *, horizon: int, api: dict, n_paths: int) -> ResolvedLevers:
    """Every lever of :data:`simulator.levers.LEVERS` as an explicit array, with its origin."""
    unknown = sorted(set(api) - set(LEVERS))
    if unknown:
        raise InputError(f"unknown lever(s) {', '.join(unknown)}; levers: {', '.join(LEVERS)}", file="argument levers")
    values, origins = {}, {}
    for name, spec in LEVERS.items():
        if name in api:
            value, where = api[name], f"argument levers[{name!r}]"
        else:
            value, where = getattr(scenario.levers, name), scenario.origin_of(f"levers.{name}")
        if isinstance(value, str):
            if value != HISTORICAL or spec.replaces is None:
                allowed = f" or '{HISTORICAL}'" if spec.replaces else ""
                raise InputError(f"expected a number or one per year{allowed}, got {value!r}", file=where,
                                 key=f"levers.{name}")
            values[name] = lever_array(name, calibration.value(spec.replaces), horizon=horizon)
            origins[name] = f"{HISTORICAL}: {spec.replaces}"
        else:
            values[name] = lever_array(name, value, horizon=horizon, n_paths=n_paths if name in api else None,
                                       file=where, key=f"levers.{name}")
            origins[name] = where
    return ResolvedLevers(values, origins)


def _satellites(scenario: Scenario, calibration: Calibration) -> SatelliteCalibration | None:
    if not scenario.scenario.satellites:
        if scenario.satellite_parameters or scenario.satellite_base:
            key = "satellite_parameters" if scenario.satellite_parameters else "satellite_base"
            raise InputError("satellite values given but scenario.satellites names no satellite calibration",
                             file=scenario.origin_of(key), key=key)
        return None
    satellites = load_satellite_calibration(scenario.scenario.satellites)
    if satellites.base_year != calibration.base_year:
        raise InputError(f"satellite base year {satellites.base_year} differs from the core calibration's "
                         f"{calibration.base_year}", file=satellites.path, key="meta.base_year")
    if scenario.satellite_parameters or scenario.satellite_base:
        satellites = satellites.with_values(parameters=scenario.satellite_parameter_overrides(),
                                            base=dict(scenario.satellite_base), origin=scenario.origin_of)
    return satellites


def _check_hdi_anchor(scenario: Scenario, calibration: Calibration, satellites: SatelliteCalibration) -> None:
    """The HDI is the official base-year value moved by the formula's ratio to its base-year value
    (simulator.satellites.engine): a base year with a dimension at its UNDP floor (life expectancy
    20 years, no schooling, GNI per capita of 100 PPP $) makes that ratio 0/0. Refused with the
    value at fault, at the estimates (a GRDP typed in trillions for billions, say)."""
    from .satellites.equations import UNDP_GOALPOSTS, gni_per_capita_ppp

    core = {name: v.value for name, v in calibration.base.items()}
    sat = {name: v.value for name, v in satellites.base.items()}
    gni = float(gni_per_capita_ppp(grdp_per_capita_mvnd=core["grdp_current_bn_vnd"] * 1e3 / core["population_persons"],
                                   deflator_ratio=1.0, gni_to_grdp_ratio=satellites.value("hdi.gni_to_grdp_ratio"),
                                   ppp_vnd_per_dollar=satellites.value("hdi.ppp_vnd_per_dollar")))
    g = UNDP_GOALPOSTS
    floors = [("base.life_expectancy_years", sat["life_expectancy_years"], g.life_expectancy_years[0], "years", False),
              ("base.mean_years_schooling", sat["mean_years_schooling"], g.mean_years_schooling[0], "years", False),
              ("base.expected_years_schooling", sat["expected_years_schooling"], g.expected_years_schooling[0], "years",
               False),
              ("base.grdp_current_bn_vnd", gni, g.gni_per_capita_ppp[0], "PPP $ of GNI per capita", True)]
    for key, value, floor, unit, core_value in floors:
        if value <= floor:
            name = key.split(".", 1)[1]
            if core_value:
                where = scenario.origin_of(key) if name in scenario.base else calibration.path
            elif name in scenario.satellite_base:  # the scenario's key, as the user wrote it
                key = f"satellite_base.{name}"
                where = scenario.origin_of(key)
            else:
                where = satellites.path
            what = (f"{key} = {core['grdp_current_bn_vnd']:g} bn VND gives a base-year GNI per capita of "
                    f"{value:.4g} PPP $ (with base.population_persons, hdi.gni_to_grdp_ratio and hdi.ppp_vnd_per_dollar)"
                    if core_value else f"{key} = {value:g} {unit}")
            raise InputError(f"{what}: at or below the HDI's floor of {floor:g} {unit}, the HDI's base-year formula "
                             "would be 0 and the official index could not be carried forward; check the value and "
                             "its unit", file=where, key=key)


def _contract(scenario: Scenario, calibration: Calibration, satellites: SatelliteCalibration | None, priors: PriorSet,
              *, horizon: int) -> RandomContract:
    mc = scenario.montecarlo
    df = calibration.value("shocks.student_t_df")
    if 0 < df <= 2:
        key = "parameters.shocks.student_t_df"
        raise InputError(f"shocks.student_t_df = {df:g}: a Student-t has a finite variance only above 2 degrees of "
                         "freedom; use a value above 2, or 0 for normal shocks",
                         file=scenario.origin_of(key) if "shocks.student_t_df" in scenario.parameter_overrides()
                         else calibration.path, key=key)
    drawn = _drawn(calibration.parameters) if mc.parameter_uncertainty else ()
    sat_drawn, dispersions = (), ()
    if satellites is not None:
        sat_drawn = (_drawn(satellites.parameters) + tuple(f"base.{n}" for n in _drawn(satellites.base))
                     if mc.parameter_uncertainty else ())
        for name in COUNT_DISPERSIONS:
            if satellites.parameters[name].se:
                raise InputError("a count's dispersion shapes its raw draws and is one number for all paths: remove "
                                 "its se", file=satellites.path, key=f"parameters.{name}.se")
        dispersions = tuple(satellites.value(n) for n in COUNT_DISPERSIONS)
    beta = tuple((float(a), float(b)) if np.isfinite(a) else (0.0, 0.0) for a, b in zip(priors.alpha, priors.beta))
    return RandomContract(seed=mc.seed, block_size=mc.block_size, horizon=horizon, parameters=drawn,
                          satellite_parameters=sat_drawn,
                          correlation=tuple(tuple(float(x) for x in row) for row in calibration.correlation),
                          student_t_df=float(df), satellite_shocks=len(SATELLITE_SHOCKS) if satellites is not None else 0,
                          count_dispersions=dispersions, prior_ids=priors.ids, beta_shapes=beta)


def _drawn(values: dict) -> tuple[str, ...]:
    """Primitives with a standard error, drawn once per path (sorted: the contract's order)."""
    return tuple(sorted(n for n, v in values.items() if v.se))


def _require_satellites(scenario: Scenario) -> None:
    """A registry with satellite rows needs the satellite calibration file: say so plainly."""
    rows = read_toml(scenario.scenario.targets, what="target registry").get("target", [])
    rows = rows if isinstance(rows, list) else []
    needing = [r.get("id") for r in rows if isinstance(r, dict) and r.get("metric") in SATELLITE_CATALOGUE
               and r.get("method") in ("model", "trend")]
    if needing:
        raise InputError(f"targets {', '.join(map(str, needing[:5]))}{' …' if len(needing) > 5 else ''} need the satellite "
                         "models: set scenario.satellites to a satellite calibration file (calibration/satellites.toml)",
                         file=scenario.origin_of("scenario.satellites"), key="scenario.satellites")


def _check_tolerances(scenario: Scenario, registry: Registry) -> None:
    approx = {t.id for t in registry.targets if t.approx}
    for key in scenario.target_options.approx_tolerance_by_target:
        if key not in approx:
            raise InputError(f"'{key}' is not an \"about\" (approx = true) target of {registry.path}; such targets: "
                             f"{', '.join(sorted(approx))}",
                             file=scenario.origin_of(f"target_options.approx_tolerance_by_target.{key}"),
                             key=f"target_options.approx_tolerance_by_target.{key}")


def evaluated_targets(inputs: Inputs) -> list:
    """The registry rows this run evaluates, registry order: simulated rows, then prior rows interleaved
    as they come (every row with a model, trend or prior method)."""
    simulated = inputs.simulated
    return [t for t in inputs.registry.targets
            if (t.method in (Method.MODEL, Method.TREND) and t.metric in simulated) or t.method is Method.PRIOR]
