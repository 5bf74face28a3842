"""The estimates and base values that the credibility review changed, each against a hand
computation from the data rows it uses; the readings of the registry; the TFP accounting."""

import csv
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.estimation.estimators import local_trend
from simulator.estimation.pipeline import calibrate

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "base.toml"
DATA = REPO / "calibration" / "data"


def _rows(file="observations.csv"):
    with (DATA / file).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _value(rows, region, year, indicator, source_contains=""):
    found = [float(r["value"]) for r in rows if r["region"] == region and int(r["year"]) == year
             and r["indicator"] == indicator and source_contains in r["source"]]
    assert found, (region, year, indicator)
    return found[0]


@pytest.fixture(scope="module")
def calibration():
    return tomllib.loads((REPO / "calibration" / "parameters.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def satellites():
    return tomllib.loads((REPO / "calibration" / "satellites.toml").read_text(encoding="utf-8"))


def test_deflator_is_estimated_on_the_gso_implicit_deflator_after_the_break(calibration):
    """AR(1) of Δln(current / constant GDP), levels 2012–2023 of one vintage, by least squares by hand."""
    rows = _rows()
    years = range(2012, 2024)
    level = np.array([_value(rows, "vietnam", y, "grdp_current", "gso-macro-monitor")
                      / _value(rows, "vietnam", y, "grdp_constant_2010", "gso-macro-monitor") for y in years])
    g = np.diff(np.log(level))  # 2013..2023
    y, x = g[1:], np.column_stack([np.ones(len(g) - 1), g[:-1]])
    (c, rho), *_ = np.linalg.lstsq(x, y, rcond=None)
    p = calibration["parameters"]["prices"]
    assert p["deflator_growth_mean"]["value"] == pytest.approx(c / (1 - rho), rel=1e-3)
    assert rho < 0 and p["deflator_persistence"]["value"] == 0.0  # set to the model's bound, with a note
    resid = y - x @ np.array([c, rho])
    assert p["deflator_growth_sd"]["value"] == pytest.approx(np.sqrt(resid @ resid / (len(y) - 2)), rel=1e-3)
    # 2016–2023: the range the issue asks the model to reproduce (1.5–4.4 %/yr, mean 2.8 %)
    recent = np.expm1(g[3:])
    assert recent.min() == pytest.approx(0.0147, abs=5e-4) and recent.max() == pytest.approx(0.0436, abs=5e-4)


def test_simulated_deflator_matches_2016_to_2023():
    result = simulator.run(BASE, paths=20_000, keep_paths=True)
    deflator = result.full_paths["deflator_index"]
    average = (deflator[:, -1] / deflator[:, 0]) ** (1 / 5) - 1
    lo, median, hi = np.quantile(average, [0.1, 0.5, 0.9])
    assert 0.0147 <= median <= 0.0436
    assert lo < 0.0282 < hi  # the observed 2016–2023 mean lies inside the simulated 10–90 % band


def test_population_series_is_the_three_units_summed_and_closed_by_the_base():
    out = calibrate(REPO / "calibration" / "calibrate.toml")
    data = out.run.data
    chosen = data[(data.indicator == "population_avg") & (data.year == 2019)].set_index("region")["value"]
    merged_2019 = chosen[["can_tho_old", "soc_trang", "hau_giang"]].sum()
    assert chosen["can_tho_merged"] == pytest.approx(merged_2019)
    fit = out.run.fits["population"]
    assert fit.drift.sample == "2011–2025 (13 observations)"
    assert fit.loglike > fit.random_walk_loglike  # the wandering drift fits the U-shaped series better
    # the drift it leaves with lies between the 2019–2025 and the 2022–2025 average growth
    base = 3223088
    assert np.log(base / merged_2019) / 6 < fit.drift.value < np.log(base / 3179643) / 3 + 0.001


def test_local_trend_recovers_a_simulated_wandering_drift():
    rng = np.random.default_rng(4)
    n, irregular, wander = 400, 0.002, 0.001
    drift = 0.01 + np.cumsum(wander * rng.standard_normal(n))
    trend = np.cumsum(drift)
    x = pd.Series(trend + irregular * rng.standard_normal(n), index=np.arange(1600, 1600 + n))
    fit = local_trend(x)
    assert abs(fit.irregular_sd.value - irregular) < 3 * fit.irregular_sd.se
    assert abs(fit.drift_sd.value - wander) < 3 * fit.drift_sd.se
    assert abs(fit.drift.value - drift[-2]) < 3 * fit.drift.se


def test_budget_base_is_the_year_end_outturn(calibration):
    rows = _rows()
    assert calibration["base"]["budget_revenue_bn_vnd"]["value"] == _value(rows, "can_tho_merged", 2025,
                                                                          "budget_revenue_territory", "tienphong.vn/pho-chu-tich")


def test_industry_construction_split_is_the_national_one(calibration):
    rows = _rows()
    split = (_value(rows, "vietnam", 2023, "grdp_current_construction")
             / _value(rows, "vietnam", 2023, "grdp_current_ind_constr"))
    base = calibration["base"]
    assert base["share_construction"]["value"] == pytest.approx(0.2805 * split, abs=1e-4)
    assert base["share_industry"]["value"] + base["share_construction"]["value"] == pytest.approx(0.2805, abs=1e-4)


def test_private_economy_drift_is_the_national_non_state_share(satellites):
    rows = _rows()
    share = np.array([_value(rows, "vietnam", y, "share_non_state") for y in range(2018, 2023)]) / 100
    changes = np.diff(np.log(share / (1 - share)))
    trends = satellites["parameters"]["trends"]
    assert trends["private_economy_share_drift"]["value"] == pytest.approx(changes.mean(), abs=1e-4)
    assert trends["private_economy_share_sd"]["value"] == pytest.approx(changes.std(ddof=1), abs=1e-4)


def test_official_hdi_base_by_hand(satellites):
    rows, sat = _rows(), _rows("satellite_observations.csv")
    weights = [_value(rows, u, 2020, "population_avg") for u in ("can_tho_old", "soc_trang", "hau_giang")]
    hdi_2020 = [_value(sat, "can_tho_old", 2020, "hdi"), _value(sat, "soc_trang", 2020, "hdi"), 0.687]
    merged = np.average(hdi_2020, weights=weights)
    growth = (_value(sat, "vietnam", 2020, "hdi_gso") / _value(sat, "vietnam", 2016, "hdi_gso")) ** 0.25
    assert satellites["base"]["hdi_official_index"]["value"] == pytest.approx(merged * growth**5, abs=1e-3)


def test_poverty_base_is_marked_an_echo_and_the_results_say_so():
    result = simulator.run(BASE, paths=500)
    rows = {t.id: t for t in result.targets}
    assert any("echo of 15" in e for e in rows["15-level"].echoes)
    assert not rows["1c"].echoes


@pytest.mark.parametrize("target, reading", [("2-growth", "every year"), ("15-decline", "every year"),
                                             ("11c", "range"), ("4-share", "strict"), ("9", "band"),
                                             ("6a", "annual mean")])
def test_every_alternative_reading_runs_and_is_recorded(target, reading):
    default = {t.id: t for t in simulator.run(BASE, paths=3000).targets}[target]
    other = {t.id: t for t in simulator.run(BASE, paths=3000, overrides=[f'target_options.readings."{target}"="{reading}"']).targets}[target]
    assert default.reading != reading and other.reading == reading
    assert reading in default.readings and default.reading in other.readings
    assert other.p_hit is not None


def test_an_unknown_reading_is_refused_with_the_readings_it_has(capsys):
    from conftest import assert_cli_fails

    assert_cli_fails(capsys, [str(BASE), "--set", 'target_options.readings."2-growth"="monthly"', "--no-write"],
                     "--set", "2-growth", "every year")


def test_every_year_readings_are_stricter_than_the_averages():
    base = {t.id: t.p_hit for t in simulator.run(BASE, paths=5000).targets}
    every = {t.id: t.p_hit for t in simulator.run(BASE, paths=5000, overrides=[
        'target_options.readings."2-growth"="every year"', 'target_options.readings."15-decline"="every year"']).targets}
    assert every["2-growth"] <= base["2-growth"] and every["15-decline"] <= base["15-decline"]


def test_tfp_share_is_the_statistics_office_accounting_and_undefined_near_zero_growth():
    result = simulator.run(BASE, paths=2000, keep_paths=True, volatility_scale=0.0, parameter_uncertainty=False)
    s, p = result.full_paths, result.full_parameters
    dy = np.log(s["grdp_real_bn_vnd"][:, -1] / s["grdp_real_bn_vnd"][:, 0])
    dk = np.log(s["capital_real_bn_vnd"][:, -1] / s["capital_real_bn_vnd"][:, 0])
    de = np.log(s["employed_persons"][:, -1] / s["employed_persons"][:, 0])
    b = p["accounting.capital_weight"]
    np.testing.assert_allclose(s["tfp_contribution"][:, -1], (dy - b * dk - (1 - b) * de) / dy, rtol=1e-12)
    np.testing.assert_allclose(s["tfp_contribution_points"][:, -1], (dy - b * dk - (1 - b) * de) / 5, rtol=1e-12)
    slow = simulator.run(BASE, paths=200, keep_paths=True, volatility_scale=0.0, parameter_uncertainty=False,
                         overrides=["parameters.production.trend_growth=0.0", "parameters.production.base_year_growth=0.0"])
    assert np.isnan(slow.full_paths["tfp_contribution"][:, -1]).all()  # undefined, never a ±10,000 % share
