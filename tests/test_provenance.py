"""The dependency graph lists every input that moves each series: each input is perturbed on
the zero-volatility path and the series whose projected years move are checked against the graph
(the base year is the calibration's base value on every path by construction)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simulator import draws
from simulator.engine import simulate
from simulator.inputs import resolve
from simulator.levers import LEVERS, ResolvedLevers
from simulator.provenance import GRAPH, inputs_of
from simulator.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def deterministic():
    inputs = resolve(load_scenario(REPO / "scenarios" / "base.toml", parameter_uncertainty=False, volatility_scale=0.0))
    return inputs, simulate(inputs, draws.neutral(inputs.contract, 1)).series


def _nudged(value):
    """A small move that stays inside the entry's bounds."""
    step = 1e-3 * abs(value.value) if value.value else 1e-4
    moved = value.value + step
    return replace(value, value=moved if moved <= value.upper else value.value - step)


def _perturbations(inputs):
    cal, sat = inputs.calibration, inputs.satellites
    for name, value in cal.parameters.items():
        yield name, replace(inputs, calibration=replace(cal, parameters={**cal.parameters, name: _nudged(value)}))
    for name, value in cal.base.items():
        yield f"base.{name}", replace(inputs, calibration=replace(cal, base={**cal.base, name: _nudged(value)}))
    for name, value in sat.parameters.items():
        yield f"sat.{name}", replace(inputs, satellites=replace(sat, parameters={**sat.parameters, name: _nudged(value)}))
    for name, value in sat.base.items():
        yield f"sat.base.{name}", replace(inputs, satellites=replace(sat, base={**sat.base, name: _nudged(value)}))
    for name, spec in LEVERS.items():
        values = dict(inputs.levers.values)
        values[name] = np.clip(values[name] + 1e-3, spec.lower, spec.upper) if values[name].max() < spec.upper else values[name] - 1e-3
        yield f"lever.{name}", inputs.with_levers(ResolvedLevers(values, inputs.levers.origin))


def test_every_input_that_moves_a_series_is_in_the_graph(deterministic):
    inputs, reference = deterministic
    missing = []
    moved_anything = set()
    for name, perturbed in _perturbations(inputs):
        series = simulate(perturbed, draws.neutral(perturbed.contract, 1)).series
        for metric, values in series.items():
            if not np.allclose(values[:, 1:], reference[metric][:, 1:], rtol=1e-13, atol=0, equal_nan=True):
                moved_anything.add(name)
                if name not in inputs_of(metric):
                    missing.append((metric, name))
    assert not missing, missing
    # the perturbations did reach the model: the graph is not vacuously complete
    assert {"production.trend_growth", "production.capital_share", "lever.tfp_growth_boost",
            "sat.poverty.income_elasticity", "base.population_persons"} <= moved_anything


def test_every_series_of_the_run_has_a_node(deterministic):
    _, reference = deterministic
    assert set(reference) <= set(GRAPH)
