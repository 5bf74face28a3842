"""Satellite models: closed forms, published HDI values, bounds, and their place in the random-number contract."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulator
from simulator import draws
from simulator.errors import InputError
from simulator.metrics import CATALOGUE, SATELLITE_CATALOGUE
from simulator.model.transforms import expit, logit, logit_step
from simulator.satellites import equations as eq
from simulator.satellites.calibration import load_satellite_calibration
from simulator.inputs import resolve
from simulator.satellites.engine import counts, satellite_parameter_values
from simulator.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
SATELLITES = REPO / "calibration" / "satellites.toml"


# UNDP, Human Development Report 2015, Table 1 (values for 2014; goalposts 20–85, 0–15, 0–18,
# 100–75,000 as in the 2015–2023/24 reports), https://hdr.undp.org/en/composite/HDI (archived at
# https://megalodon.jp/ref/2016-0515-0933-16/hdr.undp.org/en/composite/HDI):
#   country       LE     MYS   EYS   GNI (2011 PPP $)  HDI
PUBLISHED_HDI = [
    ("Norway", 81.6, 12.6, 17.5, 64_992, 0.944),
    ("United States", 79.1, 12.9, 16.5, 52_947, 0.915),
    ("Germany", 80.9, 13.1, 16.5, 43_919, 0.916),
    ("Australia", 82.4, 13.0, 20.2, 42_261, 0.935),  # expected schooling above the cap of 18
]


@pytest.mark.parametrize("country, le, mys, eys, gni, published", PUBLISHED_HDI)
def test_hdi_reproduces_published_undp_values(country, le, mys, eys, gni, published):
    value = float(eq.hdi(life_expectancy_years=le, mean_years_schooling=mys, expected_years_schooling=eys,
                         gni_per_capita_ppp=gni))
    # the report computes from unrounded inputs: agreement to one unit of the third decimal
    assert value == pytest.approx(published, abs=0.0011), country


def test_hdi_technical_note_worked_example():
    """UNDP, HDR 2020, Technical note 1, worked example: income index (ln 3,829 − ln 100) /
    (ln 75,000 − ln 100) = 0.5506 and HDI = (0.6971 · 0.3447 · 0.5506)^(1/3) = 0.510
    (https://pdf4pro.com/amp/view/technical-notes-united-nations-development-programme-79ae81.html)."""
    income = (np.log(3829) - np.log(100)) / (np.log(75_000) - np.log(100))
    assert income == pytest.approx(0.5506, abs=5e-5)
    # the same three dimension indices through the function: LE and schooling that give 0.6971 and 0.3447
    le = 20 + 0.6971 * 65
    value = eq.hdi(life_expectancy_years=le, mean_years_schooling=0.3447 * 15, expected_years_schooling=0.3447 * 18,
                   gni_per_capita_ppp=3829)
    assert round(float(value), 3) == 0.510


def test_hdi_rises_with_income_and_stays_in_unit_interval():
    gni = np.array([50.0, 1_000, 10_000, 100_000])
    value = eq.hdi(life_expectancy_years=75, mean_years_schooling=8, expected_years_schooling=13, gni_per_capita_ppp=gni)
    assert np.all(np.diff(value) > 0) and value[0] == 0.0 and np.all(value <= 1)


def test_poverty_follows_the_income_elasticity_without_noise():
    p0, eta, drift, g = 0.07, 2.0, -0.1, np.array([0.05, 0.0, -0.02])
    p1 = eq.poverty_next(np.full(3, p0), real_income_growth=g, income_elasticity=eta, drift=drift, sd=0.0, shock=np.zeros(3))
    np.testing.assert_allclose(np.log(p1 / p0), -eta * g + drift)


def test_stock_per_10k_falls_with_population():
    stock = eq.stock_next(np.array([1_000.0]), growth=np.log(1.1), sd=0.0, shock=np.zeros(1))
    np.testing.assert_allclose(stock, 1_100.0)
    np.testing.assert_allclose(eq.per_10k(stock, np.array([1e6, 2e6])), [11.0, 5.5])


@settings(max_examples=50, deadline=None)
@given(share=st.floats(1e-6, 1 - 1e-6), drift=st.floats(-2, 2), shock=st.floats(-50, 50))
def test_logit_trend_stays_inside_the_unit_interval(share, drift, shock):
    x = logit_step(logit(share), drift=drift, sd=1.0, shock=shock)
    assert 0.0 <= float(expit(x)) <= 1.0


@pytest.mark.parametrize("mean, size", [(2_000.0, 4.0), (30.0, 8.0)])
def test_counts_have_the_negative_binomial_mean_and_variance(mean, size):
    """m·G/k + √(m·G/k)·ε with G ~ Gamma(k): mean m, variance m + m²/k (the NB2 moments)."""
    rng = np.random.default_rng(7)
    n = 400_000
    gamma = rng.standard_gamma(size, (1, 1, n))
    out = counts(np.full((1, 1, 1), mean), gamma, rng.standard_normal((1, 1, n)), np.array([size]), volatility_scale=1.0)
    assert out.mean() == pytest.approx(mean, rel=0.01)
    assert out.var() == pytest.approx(mean + mean**2 / size, rel=0.03)
    assert np.all(out >= 0)


def test_stream_ids_are_fixed_and_distinct():
    assert [draws.Stream.SHOCKS, draws.Stream.STUDENT_SCALE, draws.Stream.DISASTERS] == [0, 1, 2]
    assert [draws.Stream.COUNT_GAMMA, draws.Stream.COUNT_NOISE] == [10, 11]
    assert [draws.Stream.PARAMETER, draws.Stream.SATELLITE_PARAMETER, draws.Stream.PRIOR_OWN_OF,
            draws.Stream.PRIOR_PROBABILITY_OF] == [12, 13, 14, 15]
    assert not {3, 5, 6, 8, 9} & {int(s) for s in draws.Stream}  # retired ids are never given again
    assert len({int(s) for s in draws.Stream}) == len(draws.Stream)


def test_core_paths_do_not_depend_on_the_satellites(write_scenario):
    """The satellites read the core's paths and draw from their own streams: changing every
    satellite parameter leaves every core series bit-identical."""
    base = simulator.run(REPO / "scenarios" / "base.toml", paths=3000, keep_paths=True).full_paths
    other = write_scenario("[satellite_parameters.poverty]\ndrift = -0.5\n[satellite_parameters.housing]\ncompletions_mean = 9000\n")
    changed = simulator.run(other, paths=3000, keep_paths=True).full_paths
    for metric in CATALOGUE:
        assert np.array_equal(base[metric], changed[metric], equal_nan=True), metric
    assert not np.array_equal(base["poverty_rate"], changed["poverty_rate"])
    assert set(SATELLITE_CATALOGUE) <= set(base)


def test_zero_volatility_logit_trends_are_the_hand_computed_path():
    cal = load_satellite_calibration(SATELLITES)
    out = simulator.run(REPO / "scenarios" / "base.toml", paths=20, keep_paths=True,
                        volatility_scale=0.0, parameter_uncertainty=False).full_paths
    for name in ("digital_economy_share", "forest_cover_rate", "rural_clean_water_households_share"):
        expected = expit(logit(cal.base[name].value) + 5 * cal.parameters[f"trends.{name}_drift"].value)
        np.testing.assert_allclose(out[name][:, -1], expected, rtol=1e-12)
    np.testing.assert_allclose(out["social_housing_completed_dwellings"][:, 1:], cal.parameters["housing.completions_mean"].value)


def test_hdi_path_is_linked_to_the_core_income():
    """HDI follows GRDP per capita: across paths, HDI's change 2025–2030 rises with GNI per capita's
    (its level starts at the official base value, drawn per path)."""
    out = simulator.run(REPO / "scenarios" / "base.toml", paths=4000, keep_paths=True).full_paths
    rho = np.corrcoef(np.log(out["gni_per_capita_ppp"][:, -1] / out["gni_per_capita_ppp"][:, 0]),
                      np.log(out["hdi_index"][:, -1] / out["hdi_index"][:, 0]))[0, 1]
    assert rho > 0.5
    # the official level in the base year is drawn around its estimate; the formula only moves it
    assert out["hdi_index"][:, 0].std() > 0.01
    poverty_vs_income = np.corrcoef(np.log(out["income_per_capita_month_mvnd"][:, -1]), np.log(out["poverty_rate"][:, -1]))[0, 1]
    assert poverty_vs_income < -0.2


@pytest.mark.parametrize("edit, fragment", [
    (("[base.poverty_rate]\nvalue = 0.074\nunit = \"share\"", "[base.poverty_rate]\nvalue = 0.074\nunit = \"%\""), "does not match the model's unit"),
    (("[base.poverty_rate]\n", "[base.poverty_rat]\n"), "unknown name 'poverty_rat'"),
    (("[base.forest_cover_rate]\nvalue = 0.0236", "[base.forest_cover_rate]\nvalue = 1.5"), "outside the allowed range"),
])
def test_satellite_calibration_errors_name_file_and_key(tmp_path, edit, fragment):
    text = SATELLITES.read_text(encoding="utf-8")
    assert edit[0] in text
    bad = tmp_path / "sat.toml"
    bad.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(InputError, match=fragment) as info:
        load_satellite_calibration(bad)
    assert "sat.toml" in str(info.value) and "base." in str(info.value)


def test_satellite_volatility_scale_is_applied():
    cal = load_satellite_calibration(SATELLITES)
    inputs = resolve(load_scenario(REPO / "scenarios" / "base.toml", volatility_scale=2.0, parameter_uncertainty=False))
    params = satellite_parameter_values(inputs, draws.neutral(inputs.contract, 3))
    assert params["poverty.sd"] == 2 * cal.parameters["poverty.sd"].value
    assert params["poverty.drift"] == cal.parameters["poverty.drift"].value


def test_satellite_observations_have_the_columns_of_the_core_observations_and_a_source():
    import csv

    core = (REPO / "calibration" / "data" / "observations.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    with (REPO / "calibration" / "data" / "satellite_observations.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    assert header == core
    assert rows
    for i, row in enumerate(rows, start=2):
        assert len(row) == len(header), f"line {i}"
        record = dict(zip(header, row))
        float(record["value"])
        assert record["source"].startswith("http"), f"line {i}: source must be the page address"


def test_every_satellite_entry_cites_a_source_or_is_an_assumption():
    cal = load_satellite_calibration(SATELLITES)
    for entry in [*cal.base.values(), *cal.parameters.values()]:
        assert entry.source.strip()
        if not entry.assumption:  # a number without the flag must point at data or a paper
            assert any(k in entry.source for k in ("satellite_observations.csv", "doi:", "http", "derived")), entry.name


def test_a_base_year_at_an_hdi_floor_is_refused_not_turned_into_nan(capsys):
    """GRDP typed as 0.5 bn VND puts base-year GNI per capita below the HDI's 100 PPP $ floor: the
    base-year formula would be 0 and the carried-forward index 0/0 (a NaN HDI on every path,
    found by the slow fuzz). Refused at load, naming the value; a path whose drawn parameters alone
    reach a floor gets an undefined HDI (a miss), silently."""
    from conftest import assert_cli_fails

    base = str(Path(__file__).resolve().parents[1] / "scenarios" / "base.toml")
    assert_cli_fails(capsys, [base, "--paths", "100", "--no-write", "--set", "base.grdp_current_bn_vnd=0.5"],
                     "--set", "base.grdp_current_bn_vnd = 0.5 bn VND", "HDI's floor of 100 PPP $")
    assert_cli_fails(capsys, [base, "--paths", "100", "--no-write", "--set", "satellite_base.mean_years_schooling=0"],
                     "satellite_base.mean_years_schooling", "HDI's floor of 0 years")
    formula = eq.hdi(life_expectancy_years=np.array([70.0, 70.0]), mean_years_schooling=np.array([9.0, 0.0]),
                     expected_years_schooling=np.array([12.0, 12.0]), gni_per_capita_ppp=np.array([9000.0, 9000.0]),
                     education_mean="geometric")
    assert formula[0] > 0 and formula[1] == 0.0


def test_a_satellite_base_value_with_an_error_is_drawn_per_path(project):
    """A trend's or a stock's base value given with a standard error is drawn per path (it had
    raised 'inhomogeneous shape', found by the slow fuzz): the base-year share varies across
    paths around its value, and the run completes."""
    import tomllib

    path = project / "calibration" / "satellites.toml"
    text = path.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    assert "se" not in raw["base"]["digital_economy_share"]
    value = raw["base"]["digital_economy_share"]["value"]
    text = text.replace("[base.digital_economy_share]\n", "[base.digital_economy_share]\nse = 0.02\n", 1)
    path.write_text(text, encoding="utf-8")
    result = simulator.run(project / "scenarios" / "base.toml", paths=2000, keep_paths=True)
    base_year = result.full_paths["digital_economy_share"][:, 0]
    assert base_year.std() > 0.005 and abs(base_year.mean() - value) < 0.005
