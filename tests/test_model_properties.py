"""Properties of the linked model that must hold for any admissible input."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.evaluate import judge, target_values
from simulator.metrics import CATALOGUE
from simulator.model.transforms import expit, logit
from simulator.parameters import load_calibration
from simulator.model.production import steady_state_capital_output, tfp_trend_growth
from simulator.runner import run
from simulator.scenario import Levers, MonteCarlo
from simulator.targets import Kind, Target

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _paths(scenario, *, paths=256, seed=1, **mc):
    montecarlo = MonteCarlo(**{**scenario.montecarlo.model_dump(), "paths": paths, "seed": seed, **mc})
    return run(scenario.model_copy(update={"montecarlo": montecarlo}), keep_paths=True).full_paths


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(0.0, 4.0))
def test_sector_shares_positive_and_sum_to_one(base_scenario, seed, scale):
    out = _paths(base_scenario, seed=seed, volatility_scale=scale)
    grdp = np.stack([out[f"share_{c}"] for c in ("agri", "industry", "construction", "taxes", "services")])
    jobs = np.stack([out[m] for m in ("emp_share_agri", "emp_share_industry_construction", "emp_share_services")])
    for shares in (grdp, jobs):
        assert np.all(shares > 0)
        np.testing.assert_allclose(shares.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["share_industry_construction"], out["share_industry"] + out["share_construction"], atol=1e-15)


def test_zero_volatility_is_the_hand_computed_ltgm_path(base_scenario):
    """No shocks and no parameter draws: every path equals the LTGM recursion written out here."""
    lever = 0.36
    scenario = base_scenario.model_copy(update={"levers": Levers(investment_share=lever, tfp_growth_boost=0.004)})
    out = _paths(scenario, paths=50, volatility_scale=0.0, parameter_uncertainty=False)
    for series in out.values():  # identical paths
        assert np.array_equal(series, np.broadcast_to(series[:1], series.shape), equal_nan=True)

    cal = load_calibration(scenario.scenario.calibration)
    b = {k: v.value for k, v in cal.base.items()}
    p = {k: v.value for k, v in cal.parameters.items()}
    alpha, delta, trend = p["production.capital_share"], p["production.depreciation_rate"], p["production.trend_growth"]
    history = p["production.investment_share_mean"]
    g_h = p["labour.human_capital_return"] * p["labour.trained_share_logit_drift"] * b["trained_labour_share"] * (1 - b["trained_labour_share"])
    g_e = p["demography.population_growth_mean"] + p["labour.employment_ratio_growth_mean"]
    mu0 = (1 - alpha) * (trend - g_e - g_h)  # the Solow residual of the trend, written out
    assert tfp_trend_growth(capital_share=alpha, output_growth=trend, employment_growth=g_e, human_capital_growth=g_h) == mu0
    mu = mu0 + 0.004
    y = [b["grdp_current_bn_vnd"] / b["grdp_deflator_index"]]
    k = [history / (delta + np.exp(trend) - 1) * y[0]]
    assert steady_state_capital_output(investment_share=history, depreciation_rate=delta, growth=trend) * y[0] == pytest.approx(k[0], rel=1e-14)
    pop, ratio, trained = b["population_persons"], b["employed_persons"] / b["population_persons"], b["trained_labour_share"]
    h = np.exp(p["labour.human_capital_return"] * trained)
    a = y[0] / (k[0] ** alpha * (h * pop * ratio) ** (1 - alpha))
    g, share = mu0 + p["production.base_year_growth"] - trend, history
    for _ in range(5):
        k.append((1 - delta) * k[-1] + share * y[-1])
        pop *= np.exp(p["demography.population_growth_mean"])
        ratio *= np.exp(p["labour.employment_ratio_growth_mean"])
        trained = float(expit(logit(trained) + p["labour.trained_share_logit_drift"]))
        h = np.exp(p["labour.human_capital_return"] * trained)
        g = mu + p["production.tfp_growth_persistence"] * (g - mu)
        a *= np.exp(g)
        y.append(a * k[-1] ** alpha * (h * pop * ratio) ** (1 - alpha))
        share = lever
    np.testing.assert_allclose(out["grdp_real_bn_vnd"][0], y, rtol=1e-12)
    np.testing.assert_allclose(out["capital_real_bn_vnd"][0], k, rtol=1e-12)


@SETTINGS
@given(low=st.floats(0.05, 0.7), extra=st.floats(0.0, 0.3), seed=st.integers(0, 2**32 - 1))
def test_more_investment_never_lowers_capital_or_output(base_scenario, low, extra, seed):
    def run(share):
        scenario = base_scenario.model_copy(update={"levers": Levers(investment_share=share)})
        return _paths(scenario, paths=128, seed=seed)

    a, b = run(low), run(min(low + extra, 1.0))
    for metric in ("capital_real_bn_vnd", "grdp_real_bn_vnd"):
        assert np.all(b[metric] >= a[metric] * (1 - 1e-12))


@SETTINGS
@given(t1=st.floats(300_000, 900_000), step=st.floats(0.0, 300_000))
def test_p_hit_never_rises_with_a_higher_at_least_threshold(base_scenario, t1, step):
    out = _paths(base_scenario, paths=512, seed=7)

    def hits(threshold):
        target = Target(id="x", number=1, group="economy", name_en="x", name_vi="x", metric="grdp_current_bn_vnd",
                        kind=Kind.LEVEL, comparator=">=", threshold=threshold, unit="bn VND")
        values = target_values(target, out["grdp_current_bn_vnd"], np.arange(2025, 2031), target_year=2030)
        return judge(target, values, CATALOGUE["grdp_current_bn_vnd"].unit, 0.0)[1].sum()

    assert hits(t1 + step) <= hits(t1)


def test_base_year_equals_calibration_inputs(base_scenario):
    out = _paths(base_scenario, paths=300)
    cal = load_calibration(base_scenario.scenario.calibration)
    b = {k: v.value for k, v in cal.base.items()}
    same = {name: name for name in ("grdp_current_bn_vnd", "population_persons", "employed_persons",
                                    "share_agri", "share_industry", "share_construction",
                                    "share_taxes", "share_services", "budget_revenue_bn_vnd",
                                    "exports_musd", "usd_vnd")}
    same["deflator_index"] = "grdp_deflator_index"
    for metric, base_name in same.items():
        np.testing.assert_allclose(out[metric][:, 0], b[base_name], rtol=1e-12, err_msg=metric)
    # the base income is an estimate: each path's base is it times e^(its drawn error), 0 on the central path
    income = out["income_per_capita_month_mvnd"][:, 0]
    assert np.unique(income).size > 1
    np.testing.assert_allclose(np.exp(np.log(income / b["income_per_capita_month_mvnd"]).mean()), 1.0, atol=3 * 0.06 / np.sqrt(300))
    neutral = _paths(base_scenario, paths=50, parameter_uncertainty=False)
    np.testing.assert_allclose(neutral["income_per_capita_month_mvnd"][:, 0], b["income_per_capita_month_mvnd"], rtol=1e-12)
    # so is the employment split (no survey figure): drawn around it on the log-ratio scale, summing to one
    jobs = ("emp_share_agri", "emp_share_industry_construction", "emp_share_services")
    drawn = np.stack([out[m][:, 0] for m in jobs])
    np.testing.assert_allclose(drawn.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    assert np.unique(drawn[0]).size > 1
    np.testing.assert_allclose(np.median(np.log(drawn[0] / drawn[2])), np.log(b["emp_share_agri"] / b["emp_share_services"]),
                               atol=3 * 0.15 / np.sqrt(300))
    for metric in jobs + ("unemployment_rate", "urbanisation_rate", "trained_labour_share"):
        np.testing.assert_array_equal(neutral[metric][:, 0], b[metric])
    for metric in ("unemployment_rate", "urbanisation_rate", "trained_labour_share"):  # estimates too: drawn around the base
        assert np.unique(out[metric][:, 0]).size > 1
        assert abs(np.median(out[metric][:, 0]) - b[metric]) < 0.01
    np.testing.assert_allclose(out["grdp_per_capita_mvnd"][:, 0], b["grdp_current_bn_vnd"] * 1e3 / b["population_persons"])
    # the base year's investment share is each path's own historical share (no 2025 figure)
    assert np.unique(out["investment_share"][:, 0]).size > 1


@settings(max_examples=60, deadline=None)
@given(k=st.integers(1, 8), rank=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_shock_factor_reproduces_any_correlation_matrix(k, rank, seed):
    """Any correlation matrix, singular ones included (rank below k): the factor is lower
    triangular and L·Lᵀ is the matrix; the shocks drawn through it have that correlation exactly
    in expectation (checked on the factor, not on a sample)."""
    from simulator.draws import correlation_factor

    vectors = np.random.default_rng(seed).standard_normal((k, min(rank, k)))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    matrix = vectors @ vectors.T
    np.fill_diagonal(matrix, 1.0)
    factor = correlation_factor(matrix)
    assert np.array_equal(factor, np.tril(factor))
    np.testing.assert_allclose(factor @ factor.T, matrix, rtol=0, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(log_a=st.floats(-5, 5), log_k=st.floats(0, 20), log_h=st.floats(0, 2), log_e=st.floats(5, 15),
       alpha=st.floats(0.05, 0.95))
def test_output_in_logs_is_the_cobb_douglas_level(log_a, log_k, log_h, log_e, alpha):
    """The engine's ln Y = ln A + α ln K + (1 − α)(ln h + ln E) is Y = A·K^α·(h·E)^(1−α)."""
    from simulator.model.production import log_output, output

    level = output(np.exp(log_a), np.exp(log_k), np.exp(log_h), np.exp(log_e), capital_share=alpha)
    assert np.exp(log_output(log_a, log_k, log_h, log_e, capital_share=alpha)) == pytest.approx(level, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 5), n=st.integers(1, 30), spread=st.floats(0.01, 50),
       huge=st.sampled_from([0.0, 705.0, 800.0, 1e6]))
def test_shares_from_log_ratios_sum_to_one_path_by_path(seed, k, n, spread, huge):
    """Shares are positive, sum to one and reproduce their log-ratios; a path whose log-ratio
    overflows exp (shifted on its own) leaves every other path's shares exactly as they are alone."""
    from simulator.model.transforms import alr, alr_inverse

    ratios = np.random.default_rng(seed).normal(0.0, spread, (k, n))
    ratios[0, 0] += huge
    shares = alr_inverse(ratios, axis=0)
    assert np.all(shares >= 0.0) and np.all(np.isfinite(shares))
    np.testing.assert_allclose(shares.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    for path in range(n):
        np.testing.assert_array_equal(shares[:, path], alr_inverse(ratios[:, path:path + 1], axis=0)[:, 0])
    tame = np.all(np.abs(ratios) < 30, axis=0)
    np.testing.assert_allclose(alr(shares[:, tame], axis=0), ratios[:, tame], rtol=0, atol=1e-9)
    if huge > 709:
        assert shares[0, 0] == 1.0


@settings(max_examples=100, deadline=None)
@given(ratio=st.floats(0.05, 1.0), growth=st.floats(-0.2, 0.2), sd=st.floats(0, 0.3), shock=st.floats(-6, 6))
def test_the_employment_ratio_in_logs_is_the_capped_level(ratio, growth, sd, shock):
    """The engine steps log e (capped at 0); the level form caps e at 1: the same ratio."""
    from simulator.model.labour import employment_ratio_next, log_employment_ratio_next

    level = employment_ratio_next(ratio, growth_mean=growth, growth_sd=sd, shock=shock)
    in_logs = log_employment_ratio_next(np.log(ratio), growth_mean=growth, growth_sd=sd, shock=shock)
    assert np.exp(in_logs) == pytest.approx(level, rel=1e-13) and in_logs <= 0.0
