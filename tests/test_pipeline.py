"""The pipeline's contracts: explicit levers, coherent per-path parameters, one draw for many
variants with paired counts, and summaries that merge exactly in any order."""

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator import draws
from simulator.engine import simulate
from simulator.errors import InputError
from simulator.inputs import resolve
from simulator.runner import Variant, _run_chunk, _Setup, run_variants
from simulator.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "base.toml"


def _inputs(**settings):
    return resolve(load_scenario(BASE, **settings))


def test_a_lever_at_the_value_the_base_resolves_to_gives_the_same_numbers():
    base = simulator.run(BASE, paths=3000, keep_paths=True)
    assert base.levers["investment_share"]["origin"] == "historical: production.investment_share_mean"
    stated = base.levers["investment_share"]["by_year"]
    same = simulator.run(BASE, paths=3000, keep_paths=True, investment_share=stated)
    numbers = ("p_hit", "hits", "median", "p10", "p90", "undefined_paths")
    assert ([[t[k] for k in numbers] for t in same.to_dict()["targets"]]
            == [[t[k] for k in numbers] for t in base.to_dict()["targets"]])
    for metric, values in base.full_paths.items():
        assert np.array_equal(values, same.full_paths[metric], equal_nan=True), metric


def test_a_stated_lever_drops_the_calibration_entry_from_the_assumptions():
    base = {t.id: t for t in simulator.run(BASE, paths=500).targets}
    plan = {t.id: t for t in simulator.run(BASE, paths=500, investment_share=0.4).targets}
    assert "production.investment_share_mean" in base["4-share"].assumptions
    assert "production.investment_share_mean" not in plan["4-share"].assumptions
    # the capital stock still rests on the historical share
    assert "production.investment_share_mean" in plan["4-level"].assumptions


def test_a_variant_identical_to_the_base_has_no_discordant_path():
    inputs = _inputs(paths=5000)
    run = run_variants([Variant(inputs), Variant(inputs, name="twin")])
    table = run.paired.table(0, 1)
    assert not table["only_a"].any() and not table["only_b"].any()
    assert np.array_equal(table["both"], run.results[0].joint.cohits.diagonal())


def test_paired_counts_are_the_counts_of_the_kept_paths():
    inputs = _inputs(paths=3000)
    plan = inputs.with_levers(simulator.inputs.resolve_levers(
        load_scenario(BASE, investment_share=0.42, tfp_growth_boost=0.006), inputs.calibration, horizon=5, api={},
        n_paths=3000))
    run = run_variants([Variant(inputs), Variant(plan, name="plan")], keep_paths=True)
    a, b = run.results[0].full_hits, run.results[1].full_hits
    table = run.paired.table(0, 1)
    np.testing.assert_array_equal(table["both"], (a & b).sum(axis=0))
    np.testing.assert_array_equal(table["only_a"], (a & ~b).sum(axis=0))
    np.testing.assert_array_equal(table["only_b"], (~a & b).sum(axis=0))
    assert table["only_b"].sum() > 0  # the plan moves some targets


def test_summaries_of_chunks_merge_to_the_serial_run_in_any_order_and_grouping():
    inputs = _inputs(paths=9000, block_size=1024, chunk_size=2048)
    serial = run_variants([Variant(inputs)]).results[0]
    setup = _Setup(Variant(inputs))
    whole = setup.empty()
    for chunk in draws.chunks(9000, 1024, 9000):  # one chunk: the serial counts
        whole.merge(_run_chunk([setup], chunk, False)[0][0])
    serial_counts, serial_targets = whole.series_histograms, whole.target_histograms
    parts = [_run_chunk([setup], chunk, False)[0][0] for chunk in draws.chunks(9000, 1024, 2048)]
    rng = np.random.default_rng(5)
    for _ in range(3):
        order = rng.permutation(len(parts))
        groups = np.array_split(order, 2)
        halves = []
        for group in groups:
            total = setup.empty()
            for i in group:
                total.merge(parts[i])
            halves.append(total)
        merged = setup.empty()
        for half in reversed(halves):
            merged.merge(half)
        assert merged.paths == 9000
        assert [int(h) for h in merged.hits] == [t.hits for t in serial.targets if t.hits is not None]
        np.testing.assert_array_equal(merged.joint.cohits, serial.joint.cohits)
        for metric, histogram in merged.series_histograms.items():
            np.testing.assert_array_equal(histogram.counts, serial_counts[metric].counts)
        for target_id, histogram in merged.target_histograms.items():
            np.testing.assert_array_equal(histogram.counts, serial_targets[target_id].counts)


def test_workers_do_not_change_the_numbers():
    one = simulator.run(BASE, paths=20_000, chunk_size=4096, block_size=2048).to_dict()
    two = simulator.run(BASE, paths=20_000, chunk_size=4096, block_size=2048, workers=2).to_dict()
    one.pop("provenance"), two.pop("provenance")
    assert one == two


@pytest.mark.parametrize("shape", ["paths", "years_paths"])
def test_a_per_path_lever_of_equal_values_gives_the_scalar_lever(shape):
    paths = 2500
    value = np.full(paths, 0.41) if shape == "paths" else np.full((5, paths), 0.41)
    scalar = simulator.run(BASE, paths=paths, investment_share=0.41).to_dict()
    per_path = simulator.run(BASE, paths=paths, levers={"investment_share": value}).to_dict()
    assert per_path["targets"] == scalar["targets"]
    assert per_path["levers"]["investment_share"]["by_year_mean_over_paths"] == scalar["levers"]["investment_share"]["by_year"]


def test_per_path_parameters_replace_the_draws():
    paths = 2000
    alpha = np.linspace(0.3, 0.5, paths)
    result = simulator.run(BASE, paths=paths, keep_paths=True, parameters={"production.capital_share": alpha})
    np.testing.assert_array_equal(result.full_parameters["production.capital_share"], alpha)
    with pytest.raises(InputError, match="derived on every path"):
        simulator.run(BASE, paths=100, parameters={"production.capital_output_ratio": 3.0})
    with pytest.raises(InputError, match=r"shape \(100,\)"):
        simulator.run(BASE, paths=100, parameters={"production.capital_share": alpha})


def test_every_path_reproduces_the_base_year_and_satisfies_the_identities():
    result = simulator.run(BASE, paths=4000, keep_paths=True, volatility_scale=0.0)
    p, series = result.full_parameters, result.full_paths
    cal = resolve(load_scenario(BASE)).calibration
    base = {k: v.value for k, v in cal.base.items()}
    np.testing.assert_allclose(series["grdp_current_bn_vnd"][:, 0], base["grdp_current_bn_vnd"], rtol=1e-13)
    np.testing.assert_allclose(series["population_persons"][:, 0], base["population_persons"], rtol=1e-13)
    s, delta, g = p["production.investment_share_mean"], p["production.depreciation_rate"], p["production.trend_growth"]
    assert np.unique(s).size > 100  # drawn per path
    # K/Y = s/(δ + e^g − 1) on each path, with the path's own primitives
    ratio = series["capital_real_bn_vnd"][:, 0] / series["grdp_real_bn_vnd"][:, 0]
    np.testing.assert_allclose(ratio, s / (delta + np.expm1(g)), rtol=1e-12)
    # with no shocks the capital stock grows at exactly the path's trend in the first year
    np.testing.assert_allclose(series["capital_real_bn_vnd"][:, 1] / series["capital_real_bn_vnd"][:, 0], np.exp(g), rtol=1e-12)
    # μ_A = (1 − α)(g − g_E − g_h) on each path
    alpha = p["production.capital_share"]
    g_e = p["demography.population_growth_mean"] + p["labour.employment_ratio_growth_mean"]
    trained = series["trained_labour_share"][:, 0]  # the path's own base share (an estimate, drawn)
    assert np.unique(trained).size > 100
    g_h = p["labour.human_capital_return"] * p["labour.trained_share_logit_drift"] * trained * (1 - trained)
    np.testing.assert_allclose(p["production.tfp_growth_mean"], (1 - alpha) * (g - g_e - g_h), rtol=1e-12, atol=1e-15)
    # the base year's investment is the path's historical share
    np.testing.assert_allclose(series["investment_share"][:, 0], s, rtol=1e-15)


def test_the_realised_share_carries_the_same_history_ratio_in_every_variant():
    """Investment 40 % against history: on each path the realised share is 0.40/0.3455 of the
    base's (no shocks): the uncertainty about the historical share is the same in both."""
    base = simulator.run(BASE, paths=1000, keep_paths=True, volatility_scale=0.0).full_paths["investment_share"]
    plan = simulator.run(BASE, paths=1000, keep_paths=True, volatility_scale=0.0, investment_share=0.40).full_paths
    historical = resolve(load_scenario(BASE)).calibration.value("production.investment_share_mean")
    np.testing.assert_allclose(plan["investment_share"][:, 1:], np.minimum(base[:, 1:] * 0.40 / historical, 1.0), rtol=1e-12)


def test_variants_that_cannot_share_draws_are_refused():
    a, b = _inputs(paths=100), _inputs(paths=100, seed=7)
    with pytest.raises(InputError, match="contracts differ in seed"):
        run_variants([Variant(a), Variant(b, name="other")])
    c = _inputs(paths=100, parameter_uncertainty=False)
    with pytest.raises(InputError, match="parameters"):
        run_variants([Variant(a), Variant(c, name="other")])


def test_neutral_draws_give_the_deterministic_path():
    inputs = _inputs(parameter_uncertainty=False, volatility_scale=0.0)
    stochastic = simulate(inputs, draws.draw(inputs.contract, [(0, 50)]))
    deterministic = simulate(inputs, draws.neutral(inputs.contract, 1))
    for metric, values in stochastic.series.items():
        np.testing.assert_allclose(values, np.broadcast_to(deterministic.series[metric], values.shape), rtol=1e-13,
                                   equal_nan=True, err_msg=metric)


def test_base_values_and_satellite_base_values_can_be_overridden(write_scenario):
    path = write_scenario("[base]\npopulation_persons = 3_300_000\n[satellite_base]\npoverty_rate = 0.05\n")
    result = simulator.run(path, paths=200, keep_paths=True)
    assert np.all(result.full_paths["population_persons"][:, 0] == 3_300_000)
    assert np.all(result.full_paths["poverty_rate"][:, 0] == 0.05)
    by_set = simulator.run(BASE, paths=200, keep_paths=True, overrides=["base.population_persons=3300000"])
    assert np.array_equal(by_set.full_paths["population_persons"], result.full_paths["population_persons"])


def test_shares_overridden_alone_must_still_sum_to_one(write_scenario, capsys):
    from conftest import assert_cli_fails

    path = write_scenario("[base]\nshare_agri = 0.3\n")
    assert_cli_fails(capsys, [str(path), "--no-write"], "variant.toml", "sum to", "override them together")


def test_every_lever_moves_what_it_should():
    """Each lever, set away from its neutral value, moves the series it enters (no shocks)."""
    moved = {"investment_realisation": "capital_real_bn_vnd", "tfp_growth_boost": "tfp_index",
             "employment_ratio_boost": "employment_ratio", "net_migration_boost": "population_persons",
             "trained_share_boost": "trained_labour_share", "export_growth_boost": "exports_musd",
             "revenue_ratio_boost": "budget_revenue_bn_vnd", "investment_share": "investment_share"}
    base = simulator.run(BASE, paths=10, keep_paths=True, volatility_scale=0.0, parameter_uncertainty=False).full_paths
    for lever, metric in moved.items():
        value = 0.9 if lever == "investment_realisation" else 0.45 if lever == "investment_share" else 0.01
        out = simulator.run(BASE, paths=10, keep_paths=True, volatility_scale=0.0, parameter_uncertainty=False,
                            levers={lever: value}).full_paths
        assert not np.allclose(out[metric][:, -1], base[metric][:, -1], rtol=1e-9), lever
        np.testing.assert_array_equal(out[metric][:, 0], base[metric][:, 0])  # the base year never moves


def test_lever_ramps_and_bad_lever_values():
    ramp = [0.36, 0.37, 0.38, 0.39, 0.40]
    result = simulator.run(BASE, paths=100, investment_share=ramp)
    assert result.levers["investment_share"]["by_year"] == ramp
    with pytest.raises(InputError, match=r"5 numbers \(one per simulated year\)"):
        simulator.run(BASE, paths=100, levers={"investment_share": [0.4, 0.4]})
    with pytest.raises(InputError, match="finite"):
        simulator.run(BASE, paths=100, levers={"tfp_growth_boost": np.array([np.nan] * 100)})
    with pytest.raises(InputError, match="unknown lever"):
        simulator.run(BASE, paths=100, levers={"tax_cut": 0.1})


def test_derived_quantities_cannot_be_overridden(write_scenario, capsys):
    from conftest import assert_cli_fails

    path = write_scenario("[parameters.production]\ncapital_output_ratio = 3.0\n")
    assert_cli_fails(capsys, [str(path), "--no-write"], "variant.toml", "parameters.production.capital_output_ratio",
                     "derived on every path")


def test_results_record_the_resolved_levers():
    levers = simulator.run(BASE, paths=100, tfp_growth_boost=0.005).to_dict()["levers"]
    assert set(levers) == set(simulator.levers.LEVERS)
    assert levers["tfp_growth_boost"]["by_year"] == [0.005] * 5
    assert levers["tfp_growth_boost"]["origin"] == "argument tfp_growth_boost"


def test_truncated_normal_is_the_normal_inside_its_bounds_and_monotone():
    from scipy import stats

    z = np.random.default_rng(2).standard_normal(400_000)
    x = draws.truncated_normal(z, mean=0.03, se=0.28, lower=0.0, upper=0.999)
    assert x.min() >= 0.0 and x.max() <= 0.999
    truth = stats.truncnorm((0 - 0.03) / 0.28, (0.999 - 0.03) / 0.28, loc=0.03, scale=0.28)
    assert x.mean() == pytest.approx(truth.mean(), abs=2e-3)
    assert np.mean(x < 0.1) == pytest.approx(truth.cdf(0.1), abs=3e-3)
    assert np.all(np.diff(x[np.argsort(z)]) >= 0)
    far = draws.truncated_normal(z, mean=0.0, se=0.01, lower=-1.0, upper=1.0)
    np.testing.assert_array_equal(far, 0.01 * z)
