"""simulate update: paths conditioned on published values, by moving their draws, not dropping them."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import simulator
from conftest import assert_cli_fails

from simulator.cli import main
from simulator.errors import InputError
from simulator.nowcast import load_observations
from simulator.results import SERIES_QUANTILES
from simulator.runner import Variant, run_variants

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "base.toml"


def _write(tmp_path, rows: str) -> Path:
    path = tmp_path / "observed.csv"
    path.write_text("year,metric,value,unit,source\n" + rows, encoding="utf-8")
    return path


def _update(tmp_path, rows: str, paths=8000):
    inputs = simulator.resolve(simulator.load_scenario(BASE, paths=paths))
    observed = load_observations(_write(tmp_path, rows), years=inputs.years, satellites=True)
    return run_variants([Variant(inputs), Variant(inputs, observed=observed, name="updated")], keep_paths=True)


def test_every_path_shows_the_published_value_and_no_path_is_dropped(tmp_path):
    run = _update(tmp_path, "2026,grdp_real_growth,6.0,%/yr,test\n2026,population_persons,3240000,persons,test\n")
    before, after = run.results
    assert after.paths == before.paths
    np.testing.assert_allclose(after.full_paths["grdp_real_growth"][:, 1], 0.06, rtol=1e-5)
    np.testing.assert_allclose(after.full_paths["population_persons"][:, 1], 3_240_000, rtol=1e-5)
    assert after.provenance["observed_largest_relative_miss"] < 1e-4
    # the base year and the draws of later years stay; the years after move with the state
    np.testing.assert_array_equal(after.full_paths["grdp_current_bn_vnd"][:, 0], before.full_paths["grdp_current_bn_vnd"][:, 0])


def test_observing_the_median_path_leaves_the_2030_medians_nearly_unchanged(tmp_path):
    base = simulator.run(BASE, paths=8000)
    median = SERIES_QUANTILES.index(0.5)
    growth = base.series_quantiles["grdp_real_growth"][1, median]
    run = _update(tmp_path, f"2026,grdp_real_growth,{100 * growth},%/yr,the median path\n")
    before, after = run.results
    # the 2026 median of all paths is a slightly weak year for a path without a disaster (the
    # disasters pull the median down), so the 2030 medians fall a little: −0.35 % (real GRDP) to
    # −0.54 % (revenue) at 30,000 paths; rejection on 60,000 unconditioned paths (2026 growth within
    # half a point of the median) gives the same, −0.35 % and −0.54 %. Before the disaster was drawn from its
    # posterior, revenue rose 0.9 %: paths with a 2026 disaster showed the median through shocks of
    # four to five standard deviations
    for metric, tolerance in (("grdp_current_bn_vnd", 0.01), ("grdp_real_bn_vnd", 0.01), ("population_persons", 0.01),
                              ("budget_revenue_bn_vnd", 0.01)):
        b, a = before.series_quantiles[metric][-1, median], after.series_quantiles[metric][-1, median]
        assert a == pytest.approx(b, rel=tolerance), metric


def test_the_year_disaster_is_drawn_from_its_posterior_given_the_published_value():
    """A published growth says whether the year had a disaster: among unconditioned paths whose
    2026 growth lies within half a point of the value (rejection, exact but wasteful), the share
    with a 2026 disaster is what the conditioned paths show, within the Monte Carlo error and the
    Gaussian approximation (measured: 0.838 against 0.848 ± 0.022 at 0.5 %, 0.458 against
    0.463 ± 0.031 at 2 %; the disaster probability itself is not updated by one year). Left as
    drawn, the share would stay at its prior (0.087) whatever the value."""
    from simulator.draws import chunks, draw
    from simulator.engine import parameter_values, simulate
    from simulator.nowcast import Observation, condition

    n = 16_384
    inputs = simulator.resolve(simulator.load_scenario(BASE, paths=n))
    drawn = draw(inputs.contract, chunks(n, inputs.contract.block_size, n)[0])
    levers = inputs.levers.for_paths(0, n)
    probability = parameter_values(inputs, drawn)["production.disaster_probability"]
    prior = drawn.disaster_uniform[0] < probability
    growth = simulate(inputs, drawn, levers).series["grdp_real_growth"][:, 1]
    for value in (0.005, 0.02, float(np.median(growth))):
        conditioned, miss = condition(inputs, drawn, levers, (Observation(2026, "grdp_real_growth", value, "test", 1),))
        assert miss < 1e-4
        posterior = np.mean(conditioned.disaster_uniform[0] < probability)
        near = np.abs(growth - value) < 0.005
        rejection = prior[near].mean()
        error = np.sqrt(rejection * (1 - rejection) / near.sum())
        assert abs(posterior - rejection) <= 3 * error + 0.05, (value, posterior, rejection)
    assert posterior < prior.mean() / 10  # the median growth: hardly any path had a disaster


def test_a_2026_growth_far_below_the_median_lowers_p_1c(tmp_path):
    run = _update(tmp_path, "2026,grdp_real_growth,2.0,%/yr,a bad year\n")
    before, after = ({t.id: t for t in r.targets} for r in run.results)
    assert after["1c"].p_hit < before["1c"].p_hit
    assert after["1c"].median < before["1c"].median - 0.5


def test_update_command_json(tmp_path, capsys):
    obs = _write(tmp_path, "2026,grdp_real_growth,12.0,%/yr,https://example.org/review\n")
    assert main(["update", str(BASE), "--observed", str(obs), "--paths", "3000", "--format", "json", "--no-write"]) == 0
    payload = json.loads(capsys.readouterr().out)
    row = next(t for t in payload["targets"] if t["id"] == "1c")
    assert {"id", "p_hit_before", "p_hit_after", "p_hit_before_ci95", "p_hit_after_ci95"} <= set(row)
    assert row["p_hit_after"] > row["p_hit_before"]
    assert payload["observed"][0]["value"] == pytest.approx(0.12)


@pytest.mark.parametrize("row, fragment", [
    ("2026,poverty_rate,5,%,x\n", "not a core series"),
    ("2031,grdp_real_growth,5,%/yr,x\n", "not a simulated year"),
    ("2025,grdp_real_growth,5,%/yr,x\n", "not a simulated year"),
    ("2026,grdp_real_growth,nan,%/yr,x\n", "finite"),
    ("2026,grdp_real_growth,5,bn VND,x\n", "does not convert"),
    ("2026,grdp_real_growth,5,%/yr,\n", "source"),
    ("2026,grdp_real_growth,5,%/yr,x\n2026,grdp_real_growth,6,%/yr,y\n", "given twice"),
    # impossible values (a growth of 810 % typed as a fraction, a negative level, a share above 1)
    ("2026,grdp_real_growth,8.1,share/yr,x\n", "not a yearly rate strictly between"),
    ("2026,population_persons,-3300000,persons,x\n", "not a positive level"),
    ("2026,share_agri,150,%,x\n", "strictly between 0 and 1"),
    ("2026,grdp_real_growth,5,%/yr,x,extra\n", "more fields than the header"),
    ("2026,urbanisation_rate,50,%/yr,x\n", "does not convert to urbanisation_rate's 'share' (give it in 'share' or '%')"),
    ("2026,grdp_real_growth,5,%,x\n", "(give it in 'share/yr' or '%/yr')"),  # a share's unit for a rate
    ("2026,population_persons,3300,pct,x\n", "(give it in 'persons' or 'thousand persons')"),
    ("2026,grdp_real_growth,5,%/yr,x\0\n", "NUL characters"),
])
def test_bad_observation_rows_name_the_file_and_line(tmp_path, row, fragment):
    with pytest.raises(InputError, match=re.escape(fragment)) as info:
        load_observations(_write(tmp_path, row), years=np.arange(2025, 2031))
    assert "observed.csv" in str(info.value)


def test_an_observations_file_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    path = tmp_path / "observed.csv"
    path.write_bytes("year,metric,value,unit,source\n2026,grdp_real_growth,5,%/yr,café\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as info:
        load_observations(path, years=np.arange(2025, 2031))
    assert "observed.csv" in str(info.value)
    path.write_bytes("year,metric,value,unit,source\n2026,grdp_real_growth,5,%/yr,x\n".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        load_observations(path, years=np.arange(2025, 2031))
    with pytest.raises(InputError, match="folder"):
        load_observations(tmp_path, years=np.arange(2025, 2031))


def test_satellite_series_are_conditioned_too(tmp_path):
    """A published poverty rate and life expectancy for 2026: every path shows them (the year's
    satellite shocks and their trends' parameters move, and the core's where the satellite reads
    it), and the 2030 targets built on them move the way the values say (poverty already low: 15
    likelier; life expectancy below its path: 12a less likely)."""
    run = _update(tmp_path, "2026,poverty_rate,4.5,%,a survey\n2026,life_expectancy_years,74.9,years,a yearbook\n",
                  paths=3000)
    before, after = run.results
    np.testing.assert_allclose(after.full_paths["poverty_rate"][:, 1], 0.045, rtol=1e-9)
    np.testing.assert_allclose(after.full_paths["life_expectancy_years"][:, 1], 74.9, rtol=1e-9)
    assert after.provenance["observed_largest_relative_miss"] < 1e-2
    b, a = ({t.id: t.p_hit for t in r.targets} for r in run.results)
    assert a["15-level"] > b["15-level"] + 0.1 and a["12a"] < b["12a"] - 0.05
    # poverty falls with real income growth in the model (its own shock is small beside it): a low
    # published rate is evidence of a good year, and the core's shocks move with it
    assert np.median(after.full_paths["grdp_real_growth"][:, 1]) > np.median(before.full_paths["grdp_real_growth"][:, 1])


@pytest.mark.parametrize("metric, value", [("grdp_real_growth", 0.081), ("budget_revenue_bn_vnd", 30000.0),
                                           ("share_agri", 0.2), ("population_persons", 3.24e6),
                                           ("poverty_rate", 0.045), ("hdi_index", 0.79)])
def test_the_normals_a_value_rests_on_are_all_found(metric, value):
    """The NaN probe (:func:`simulator.nowcast._felt`) finds every normal whose finite difference
    moves the value on any of 512 paths, so skipping the others leaves W as it was."""
    from simulator.draws import chunks, draw
    from simulator.nowcast import STEP, Observation, _felt, _layout, _observed

    inputs = simulator.resolve(simulator.load_scenario(BASE, paths=512))
    drawn = draw(inputs.contract, chunks(512, inputs.contract.block_size, 512)[0])
    levers = inputs.levers.for_paths(0, 512)
    these = (Observation(2026, metric, value, "test", 1),)
    layout = _layout(inputs, drawn, these)
    felt = _felt(inputs, drawn, levers, these, 0, layout)
    now = _observed(inputs, drawn, levers, these)
    for j in range(layout.size):
        bump = np.zeros((layout.size, 1))
        bump[j] = STEP
        moved = np.any(_observed(inputs, layout.moved(drawn, 0, bump), levers, these) != now)
        assert felt[j] or not moved, j
    assert 0 < felt.sum() < layout.size  # some are skipped, some are not


def test_counts_and_satellites_without_their_models_are_refused(tmp_path):
    path = _write(tmp_path, "2026,patent_applications_and_grants_count,40,count,x\n")
    with pytest.raises(InputError, match="drawn as a count") as info:
        load_observations(path, years=np.arange(2025, 2031), satellites=True)
    assert info.value.key == "line 2"
    path = _write(tmp_path, "2026,poverty_rate,4.5,%,x\n")
    with pytest.raises(InputError, match="runs no satellite models"):
        load_observations(path, years=np.arange(2025, 2031))


def test_published_values_in_the_statistics_office_units(tmp_path):
    """Population in thousand persons and income in thousand đồng a month, as the yearbooks and the
    living-standards survey print them: the paths show them in the engine's units."""
    run = _update(tmp_path, "2026,population_persons,3240,thousand persons,yearbook\n"
                            "2026,income_per_capita_month_mvnd,7100,thousand VND/person/month,VHLSS\n", paths=1000)
    after = run.results[1]
    np.testing.assert_allclose(after.full_paths["population_persons"][:, 1], 3_240_000, rtol=1e-6)
    np.testing.assert_allclose(after.full_paths["income_per_capita_month_mvnd"][:, 1], 7.1, rtol=1e-6)


def test_a_value_no_path_can_show_is_refused_and_nothing_is_written(tmp_path, capsys):
    """A population typed in thousands (3,300) is positive, so only the conditioning finds it
    impossible: the paths still miss it by a factor of about 1,000, and the update is refused."""
    obs = _write(tmp_path, "2026,grdp_real_growth,6.0,%/yr,x\n2026,population_persons,3300,persons,typed in thousands\n")
    out = tmp_path / "out"
    err = assert_cli_fails(capsys, ["update", str(BASE), "--observed", str(obs), "--paths", "600", "--out", str(out)],
                           "observed.csv", "line 3", "population_persons 2026 = 3300", "nothing was written")
    assert "grdp_real_growth" not in err.split("cannot show")[1]
    assert not out.exists()


def test_values_that_cannot_hold_together_are_named_before_the_run(tmp_path, capsys):
    """Real GRDP of 200,000 bn VND in 2026 can be shown, and so can 8 % growth, but not both (the
    2025 level fixes one from the other): the pair is named with its lines, from a check on a few
    paths before the long run (two million paths are not simulated to find it)."""
    obs = _write(tmp_path, "2026,grdp_real_growth,8.0,%/yr,a\n2026,population_persons,3240000,persons,b\n"
                           "2026,grdp_real_bn_vnd,200000,bn VND,c\n")
    err = assert_cli_fails(capsys, ["update", str(BASE), "--observed", str(obs), "--paths", "2000000", "--no-write"],
                           "observed.csv", "lines 2, 4", "grdp_real_growth 2026 = 0.08", "grdp_real_bn_vnd 2026 = 200000",
                           "together", "nothing was written")
    assert "population_persons" not in err


def test_a_published_share_is_reached_on_every_path(tmp_path):
    """A sector share one point below its 2025 value: the structure's drifts and shocks move, its
    shock scales do not (conditioning a scale made a few paths miss by 1–2 % and the update fail)."""
    run = _update(tmp_path, "2026,share_agri,20,%,a release\n", paths=2000)
    after = run.results[1]
    assert after.provenance["observed_largest_relative_miss"] < 1e-6
    np.testing.assert_allclose(after.full_paths["share_agri"][:, 1], 0.20, rtol=1e-6)


def test_a_published_value_on_the_threshold_hits_on_every_path(tmp_path):
    """Income of exactly 8.5 m VND a month in 2030 meets 1e (>= 8.5): the conditioning leaves each
    path within about 1e-9 of it, and that rounding used to decide the hit (P 0.70)."""
    run = _update(tmp_path, "2030,income_per_capita_month_mvnd,8.5,m VND/person/month,a release\n", paths=1000)
    after = {t.id: t for t in run.results[1].targets}
    assert after["1e"].p_hit == 1.0
    np.testing.assert_array_equal(run.results[1].full_paths["income_per_capita_month_mvnd"][:, -1], 8.5)


def test_a_header_with_a_column_twice_or_missing_is_named(tmp_path):
    path = tmp_path / "observed.csv"
    path.write_text("year,metric,value,unit,source,year\n2026,grdp_real_growth,5,%/yr,x,2027\n", encoding="utf-8")
    with pytest.raises(InputError, match="names year twice"):
        load_observations(path, years=np.arange(2025, 2031))
    path.write_text("Year;Metric\n", encoding="utf-8")
    with pytest.raises(InputError, match="found Year;Metric"):
        load_observations(path, years=np.arange(2025, 2031))


def test_comment_lines_are_skipped_and_lines_keep_the_files_numbers(tmp_path):
    """'#' lines (before the header too) and blank lines are skipped; an error names the row's first
    line in the file, and a '#' inside a quoted field is data, not a comment."""
    path = tmp_path / "observed.csv"
    path.write_text("# hypothetical values\n\nyear,metric,value,unit,source\n# growth first\n"
                    "2026,grdp_real_growth,8.1,%/yr,\"a release\n# of May\"\n"
                    "  # revenue next\n2026,share_agri,150,%,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="strictly between 0 and 1") as info:
        load_observations(path, years=np.arange(2025, 2031))
    assert info.value.key == "line 8"
    path.write_text(path.read_text(encoding="utf-8").replace("2026,share_agri,150,%,x\n", ""), encoding="utf-8")
    (observed,) = load_observations(path, years=np.arange(2025, 2031))
    assert (observed.line, observed.value, observed.source) == (5, pytest.approx(0.081), "a release\n# of May")
