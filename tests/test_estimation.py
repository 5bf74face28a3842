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
from simulator.estimation.estimators import ar1, panel_growth, random_walk_drift, residual_correlation, student_t_df
from simulator.estimation.pipeline import calibrate
from simulator.estimation.writer import read_priors, render
from simulator.inputs import resolve
from simulator.model import demography, production
from simulator.model import prices as price_block
from simulator.parameters import PARAMETER_SPEC, SHOCKS, correlation_matrix, load_calibration
from simulator.scenario import load_scenario

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
    contract = draws.RandomContract(seed=3, block_size=1, horizon=len(YEARS), parameters=(), satellite_parameters=(),
                                    correlation=tuple(map(tuple, corr)), student_t_df=0.0, satellite_shocks=0,
                                    count_dispersions=(), prior_ids=(), beta_shapes=())
    z = draws.draw(contract, [(0, 1)]).shocks[:, :, 0].T  # (years, k)
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
        _, lower, upper = PARAMETER_SPEC[name]  # an estimate outside the model's range is written at the bound
        assert cal.parameters[name].value == pytest.approx(min(max(entry.value, lower), upper), rel=1e-3, abs=1e-6)
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
    scenario = load_scenario(REPO / "scenarios" / "base.toml", block_size=20_000)
    inputs = resolve(scenario)
    name = "production.trend_growth"
    entry = inputs.calibration.parameters[name]
    drawn = parameter_values(inputs, draws.draw(inputs.contract, [(0, 20_000)]))[name]
    assert drawn.shape == (20_000,)
    assert np.mean(drawn) == pytest.approx(entry.value, abs=4 * entry.se / np.sqrt(20_000))
    assert np.std(drawn) == pytest.approx(entry.se, rel=0.05)
    fixed_inputs = resolve(load_scenario(REPO / "scenarios" / "base.toml", parameter_uncertainty=False))
    fixed = parameter_values(fixed_inputs, draws.draw(fixed_inputs.contract, [(0, 100)]))[name]
    assert fixed == entry.value


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


def test_tfp_scale_net_of_the_labour_shocks_by_hand():
    """σ_A² = σ_Y² − (1 − α)²σ_E², delta-method se; None when the labour term alone reaches σ_Y."""
    from simulator.estimation.estimators import Estimate, net_of_labour_shocks

    net = net_of_labour_shocks(Estimate(0.02, 0.004, "s", "panel OLS"), labour_sd=0.015, labour_sd_se=0.003,
                               capital_share=0.4)
    assert net.value == pytest.approx(np.sqrt(0.02**2 - 0.36 * 0.015**2), rel=1e-12)
    assert net.value == pytest.approx(0.0178606, rel=1e-5)
    assert net.se == pytest.approx(np.hypot(0.02 / net.value * 0.004, 0.36 * 0.015 / net.value * 0.003), rel=1e-12)
    assert net.sample == "s" and "σ_A²" in net.method
    assert net_of_labour_shocks(Estimate(0.01, 0.002, "", ""), labour_sd=0.02, labour_sd_se=0.0, capital_share=0.4) is None


def test_the_models_yearly_growth_has_the_datas_residual_scale():
    """The identity the TFP scale is calibrated on holds on the paths: with parameter uncertainty and
    disasters off, the sd of 2026 log real growth across paths is the growth panel's residual
    scale σ_Y (before, the employment ratio's shocks came on top: 0.0218 against 0.0184)."""
    run = calibrate(CONFIG)
    sigma_y = run.run.fits["real_growth"].sd.value
    inputs = resolve(load_scenario(REPO / "scenarios" / "base.toml", paths=40_000, overrides=[
        "montecarlo.parameter_uncertainty=false", "parameters.production.disaster_probability=0.0"]))
    from simulator.runner import Variant, run_variants

    paths = run_variants([Variant(inputs)], keep_paths=True).results[0].full_paths
    growth = np.log1p(paths["grdp_real_growth"][:, 1])
    assert growth.std() == pytest.approx(sigma_y, rel=0.02)  # MC error of an sd at 40,000 paths: 0.4 %
