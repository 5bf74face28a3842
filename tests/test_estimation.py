"""Estimators recover known parameters from data simulated by the model's own equations; the
calibration file is deterministic, loads, and keeps priors; the engine draws parameters."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import draws
from simulator.engine import parameter_values
from simulator.estimation.calibrate import CalibrationRun, Entry
from simulator.estimation.estimators import (ar1, panel_growth, perpetual_inventory, random_walk_drift,
                                             residual_correlation, steady_state_capital_output, student_t_df)
from simulator.estimation.pipeline import calibrate
from simulator.estimation.writer import read_priors, render
from simulator.model import demography, production
from simulator.model import prices as price_block
from simulator.parameters import SHOCKS, correlation_matrix, load_calibration
from simulator.runner import prepare

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "calibration" / "calibrate.toml"
YEARS = np.arange(1600, 2000)


def _within(estimate, truth, k=3.0):
    assert abs(estimate.value - truth) < k * estimate.se, (estimate.value, truth, estimate.se)


def test_ar1_recovers_the_deflator_process():
    """π_t = μ + ρ(π_{t−1} − μ) + σz (prices.deflator_growth_next), 400 years."""
    rng = np.random.default_rng(7)
    mean, rho, sd = 0.03, 0.5, 0.02
    g, path = mean, []
    for z in rng.standard_normal(len(YEARS)):
        g = price_block.deflator_growth_next(g, mean=mean, persistence=rho, sd=sd, shock=z)
        path.append(g)
    fit = ar1(pd.Series(path, index=YEARS))
    _within(fit.persistence, rho)
    _within(fit.mean, mean)
    _within(fit.sd, sd)
    assert fit.persistence.results.nobs == len(YEARS) - 1  # the statsmodels results stay reachable


def test_random_walk_drift_with_gaps_recovers_population_process():
    """log P_t = log P_{t−1} + n + σz (demography.population_next), every third year missing."""
    rng = np.random.default_rng(11)
    drift, sd = -0.002, 0.01
    level, path = 1e6, []
    for z in rng.standard_normal(len(YEARS)):
        level = demography.population_next(level, growth_mean=drift, growth_sd=sd, shock=z)
        path.append(level)
    x = pd.Series(np.log(path), index=YEARS)
    x = x[YEARS % 3 != 0]
    fit = random_walk_drift({"unit": x}, min_changes=3)
    _within(fit.drift, drift)
    _within(fit.sd, sd)
    assert random_walk_drift({"unit": x.iloc[:3]}, min_changes=3) is None


def test_residual_correlation_recovers_shock_covariance():
    """Correlated shocks of the engine (draws.shocks) through two random walks: ρ recovered."""
    rho = 0.6
    corr = correlation_matrix([("population", "fx", rho)])
    z = draws.shocks(3, 0, 1, len(YEARS), draws.correlation_factor(corr), student_t_df=0.0, block_size=1)[0]
    i, j = SHOCKS.index("population"), SHOCKS.index("fx")
    a = pd.Series(np.cumsum(0.01 + 0.02 * z[:, i]), index=YEARS)
    b = pd.Series(np.cumsum(0.03 + 0.05 * z[:, j]), index=YEARS)
    fa = random_walk_drift({"a": a}, min_changes=3)
    fb = random_walk_drift({"b": b}, min_changes=3)
    est = residual_correlation(fa.residuals.droplevel("unit"), fb.residuals.droplevel("unit"), min_overlap=8)
    _within(est, rho)
    assert residual_correlation(a.iloc[:5], b.iloc[:5], min_overlap=8) is None


def test_panel_growth_recovers_a_disaster_year():
    rng = np.random.default_rng(5)
    years = np.arange(1900, 2000)
    means = {"a": 0.07, "b": 0.05, "c": 0.06}
    loss = 0.08
    panel = {u: pd.Series(m + 0.01 * rng.standard_normal(len(years)) + np.log1p(-loss) * (years == 1950), index=years)
             for u, m in means.items()}
    fit = panel_growth(panel, dummy_years=(1950,))
    _within(fit.year_effects[1950], np.log1p(-loss))
    for k, (unit, mean) in enumerate(means.items()):
        assert abs(fit.unit_means[unit] - mean) < 3 * np.sqrt(fit.unit_cov[k, k])


def test_perpetual_inventory_matches_the_capital_equation_and_the_steady_state():
    s, delta, g = 0.3, 0.05, 0.07
    output = 100 * np.exp(g * np.arange(200))
    k0 = steady_state_capital_output(investment_share=s, depreciation_rate=delta, growth=g) * output[0]
    k = perpetual_inventory(s * output[:-1], depreciation_rate=delta, initial_capital=k0)
    step = k0
    for t in range(1, 6):
        step = production.capital_next(step, s * output[t - 1], depreciation_rate=delta)
        assert k[t] == pytest.approx(step)
    # exact discrete steady state: K/Y = s / (e^g − 1 + δ), the log form s/(δ + g) to first order
    assert k[-1] / output[-1] == pytest.approx(s * np.exp(-g) / (1 - (1 - delta) * np.exp(-g)), rel=1e-6)


def test_student_t_df_detects_tails_and_leaves_normal_alone():
    rng = np.random.default_rng(3)
    assert student_t_df(rng.standard_normal(2000)).value == 0.0
    nu = student_t_df(rng.standard_t(10, 50_000)).value
    assert 6 < nu < 20


@pytest.fixture(scope="module")
def shipped():
    return calibrate(CONFIG)


def test_calibration_is_deterministic(shipped):
    again = calibrate(CONFIG)
    assert again.text == shipped.text and again.report == shipped.report


def test_written_file_loads_and_keeps_priors(shipped, tmp_path):
    path = tmp_path / "parameters.toml"
    path.write_text(shipped.text, encoding="utf-8")
    cal = load_calibration(path)
    priors = read_priors(REPO / "calibration" / "priors.toml")
    for name, entry in shipped.run.entries.items():
        assert cal.parameters[name].value == pytest.approx(entry.value, rel=1e-3, abs=1e-6)
    for name, prior in priors["parameters"].items():
        if name not in shipped.run.entries:
            assert cal.parameters[name].value == prior["value"]
            assert cal.parameters[name].assumption == prior.get("assumption", False)
    assert 'data_vintage = "' in shipped.text
    assert shipped.run.fits["deflator"].persistence.results.summary() is not None


def test_estimate_outside_the_model_range_is_clipped_with_a_note(shipped):
    priors = read_priors(REPO / "calibration" / "priors.toml")
    bad = Entry(-0.2, 0.1, "test", "1900–1901", "test method")
    run = replace(shipped.run, entries={**shipped.run.entries, "production.tfp_growth_persistence": bad})
    assert isinstance(run, CalibrationRun)
    text = render(run, priors, data_vintage="x")
    block = text.split("[parameters.production.tfp_growth_persistence]")[1].split("\n\n")[0]
    assert "value = 0.0" in block and "outside the model's range" in block


def test_engine_draws_parameters_with_their_standard_errors(base_scenario):
    """Parameter uncertainty: per-path draws with mean ≈ value and sd ≈ se; off = one value."""
    setup, _ = prepare(base_scenario)
    name = "production.tfp_growth_mean"
    entry = setup.calibration.parameters[name]
    drawn = parameter_values(replace(setup, block_size=20_000), 0, 20_000)[name]
    assert drawn.shape == (20_000, 1)
    assert np.mean(drawn) == pytest.approx(entry.value, abs=4 * entry.se / np.sqrt(20_000))
    assert np.std(drawn) == pytest.approx(entry.se, rel=0.05)
    fixed = parameter_values(replace(setup, parameter_uncertainty=False), 0, 100)[name]
    assert fixed == entry.value


def test_pim_capital_output_ratio_on_a_balanced_path():
    """Investment growing at g from its steady state keeps K/Y at the steady state (discrete form)."""
    from simulator.estimation.calibrate import _pim_ratio

    s, delta, g = 0.3, 0.05, 0.07
    years = np.arange(2000, 2015)
    output = 100 * np.exp(g * (years - 2000))
    entry = _pim_ratio(pd.Series(s * output, index=years), output[-1], s, delta, g)
    exact = s * np.exp(-g) / (1 - (1 - delta) * np.exp(-g))
    start = steady_state_capital_output(investment_share=s, depreciation_rate=delta, growth=g)
    assert min(exact, start) - 1e-9 <= entry.value <= max(exact, start) + 1e-9
    assert entry.sample == "2000–2014"


def test_ar1_dummy_measures_a_one_year_shock():
    """A COVID-like shift of −0.08 in one year is taken by its dummy, not by ρ or σ."""
    rng = np.random.default_rng(9)
    mean, rho, sd = 0.065, 0.3, 0.01
    g, path = mean, []
    for year, z in zip(YEARS, rng.standard_normal(len(YEARS))):
        g = production.tfp_growth_next(g, mean=mean, boost=0.0, persistence=rho, sd=sd, shock=z)
        path.append(g - 0.08 * (year == 1900))
    fit = ar1(pd.Series(path, index=YEARS), dummy_years=(1900, 3000))
    assert set(fit.dummies) == {1900}
    _within(fit.dummies[1900], -0.08)
    _within(fit.persistence, rho)
    assert 1900 not in fit.residuals.index


def test_prior_updates_by_hand():
    from simulator.estimation.estimators import Estimate, pool_sd_with_prior, update_with_prior

    # prior 0.01 ± 0.015, data 0.11 ± 0.064: precisions 4444.4 and 244.1
    post = update_with_prior(Estimate(0.11, 0.064, "s", "m", None), prior_value=0.01, prior_se=0.015)
    p0, p1 = 1 / 0.015**2, 1 / 0.064**2
    assert post.value == pytest.approx((0.01 * p0 + 0.11 * p1) / (p0 + p1))
    assert post.se == pytest.approx((p0 + p1) ** -0.5)
    assert update_with_prior(Estimate(0.11, None, "s", "m", None), prior_value=0.0, prior_se=0.01).value == 0.11
    # σ² = (4·0.03² + 2·0.005²)/6
    pooled = pool_sd_with_prior(Estimate(0.005, 0.002, "s", "m", None), df=2, prior_sd=0.03, prior_df=4)
    assert pooled.value == pytest.approx(np.sqrt((4 * 0.03**2 + 2 * 0.005**2) / 6))
    assert pool_sd_with_prior(Estimate(0.005, 0.002, "s", "m", None), df=2, prior_sd=0.03, prior_df=0).value == 0.005
