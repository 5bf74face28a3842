"""Tidy data: validation errors name file and line; source choice; aggregation by hand."""

import csv
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.errors import InputError
from simulator.estimation.aggregate import aggregate
from simulator.estimation.config import load_config
from simulator.estimation.data import load_observations, series

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "calibration" / "calibrate.toml"
HEADER = "region,year,indicator,value,unit,price_basis,source,note\n"

MINIMAL_CONFIG = """
[data]
files = ["obs.csv"]
regions = ["a", "b", "c", "abc", "nation"]
units = ["bn_vnd", "pct", "persons"]

[merge]
region = "abc"
components = ["a", "b", "c"]
max_weight_gap = 1

[output]
parameters = "parameters.toml"
priors = "priors.toml"
report = "report.md"

[sample]
base_year = 2021
disaster_record = [2011, 2021]

[sources]
"""


def _setup(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "obs.csv").write_text(HEADER + rows, encoding="utf-8")
    config = tmp_path / "calibrate.toml"
    config.write_text(MINIMAL_CONFIG, encoding="utf-8")
    return config


@pytest.mark.parametrize("row, fragment", [
    ("a,2020,population_avg,12O5,persons,n/a,http://x,\n", "value '12O5' is not a number"),
    ("a,2020,population_avg,1205,people,n/a,http://x,\n", "unknown unit 'people'"),
    ("z,2020,population_avg,1205,persons,n/a,http://x,\n", "unknown region 'z'"),
    ("a,20x0,population_avg,1205,persons,n/a,http://x,\n", "year '20x0' is not an integer"),
    ("a,2020,population_avg,1205,persons,n/a,http://x,\na,2020,population_avg,1206,persons,n/a,http://x,\n",
     "duplicate key"),
])
def test_malformed_row_names_file_and_line(tmp_path, row, fragment):
    config = _setup(tmp_path, "b,2020,population_avg,1000,persons,n/a,http://y,\n" + row)
    bad_line = 2 + row.count("\n")  # header is line 1, the good row line 2
    with pytest.raises(InputError, match=fragment) as info:
        load_observations(load_config(config))
    assert "obs.csv" in str(info.value) and f"line {bad_line}" in str(info.value)


def test_malformed_row_exits_2_from_the_cli(tmp_path, capsys):
    config = _setup(tmp_path, "a,2020,population_avg,abc,persons,n/a,http://x,\n")
    assert main(["calibrate", str(config)]) == 2
    err = capsys.readouterr().err
    assert "obs.csv, line 2" in err and "not a number" in err and "Traceback" not in err


def test_source_choice_latest_vintage_then_primary(tmp_path):
    rows = ("a,2020,population_avg,100,persons,n/a,http://old,2020-01-05: first || status: ước\n"
            "a,2020,population_avg,101,persons,n/a,http://new,2021-06-01: revised || status: status not stated\n"
            "a,2020,population_avg,99,persons,n/a,http://agg,2022-01-01: x || status: status not stated || secondary/aggregator page\n")
    obs = load_observations(load_config(_setup(tmp_path, rows)))
    chosen = obs.selected.iloc[0]
    assert chosen.source == "http://new" and chosen.value == 101
    assert set(obs.disagreements.source) == {"http://old", "http://new", "http://agg"}


def test_aggregation_by_hand(tmp_path):
    """Sums, a population-weighted mean, per capita and real growth, hand-computed for 2020 and 2021."""
    rows = "".join([
        "a,2020,population_avg,100,persons,n/a,s,\n", "b,2020,population_avg,300,persons,n/a,s,\n",
        "c,2020,population_avg,600,persons,n/a,s,\n",
        "a,2021,population_avg,110,persons,n/a,s,\n", "b,2021,population_avg,290,persons,n/a,s,\n",
        "c,2021,population_avg,600,persons,n/a,s,\n",
        "a,2020,urbanisation_rate,50,pct,n/a,s,\n", "b,2020,urbanisation_rate,20,pct,n/a,s,\n",
        "c,2020,urbanisation_rate,10,pct,n/a,s,\n",
        "a,2021,urbanisation_rate,60,pct,n/a,s,\n", "b,2021,urbanisation_rate,20,pct,n/a,s,\n",
        "c,2021,urbanisation_rate,10,pct,n/a,s,\n",
        # constant-price levels in both years -> growth from levels
        "a,2020,grdp_constant_2010,10,bn_vnd,constant_2010,s,\n", "b,2020,grdp_constant_2010,20,bn_vnd,constant_2010,s,\n",
        "c,2020,grdp_constant_2010,70,bn_vnd,constant_2010,s,\n",
        "a,2021,grdp_constant_2010,11,bn_vnd,constant_2010,s,\n", "b,2021,grdp_constant_2010,21,bn_vnd,constant_2010,s,\n",
        "c,2021,grdp_constant_2010,70,bn_vnd,constant_2010,s,\n",
        "a,2021,grdp_real_growth,10,pct,constant_2010,s,\n", "b,2021,grdp_real_growth,5,pct,constant_2010,s,\n",
        "c,2021,grdp_real_growth,0,pct,constant_2010,s,\n",
        # 2020 growth: no 2019 levels -> weighted by 2019 current-price GRDP
        "a,2020,grdp_real_growth,8,pct,constant_2010,s,\n", "b,2020,grdp_real_growth,4,pct,constant_2010,s,\n",
        "c,2020,grdp_real_growth,2,pct,constant_2010,s,\n",
        "a,2019,grdp_current,50,bn_vnd,current,s,\n", "b,2019,grdp_current,30,bn_vnd,current,s,\n",
        "c,2019,grdp_current,20,bn_vnd,current,s,\n",
        "a,2020,grdp_current,60,bn_vnd,current,s,\n", "b,2020,grdp_current,30,bn_vnd,current,s,\n",
        "c,2020,grdp_current,30,bn_vnd,current,s,\n",
    ])
    obs = load_observations(load_config(_setup(tmp_path, rows)))
    agg = aggregate(obs.selected, merged="abc", components=["a", "b", "c"], max_weight_gap=1)
    pop = series(agg, "abc", "population_avg")
    assert pop[2020] == 1000 and pop[2021] == 1000
    urban = series(agg, "abc", "urbanisation_rate")
    assert urban[2020] == pytest.approx((0.5 * 100 + 0.2 * 300 + 0.1 * 600) / 1000)
    assert urban[2021] == pytest.approx((0.6 * 110 + 0.2 * 290 + 0.1 * 600) / 1000)
    growth = series(agg, "abc", "grdp_real_growth")
    assert growth[2021] == pytest.approx(102 / 100 - 1)  # from levels, not from the rates' mean
    assert growth[2020] == pytest.approx(0.5 * 0.08 + 0.3 * 0.04 + 0.2 * 0.02)
    assert series(agg, "abc", "grdp_per_capita")[2020] == pytest.approx(120 / 1000 * 1e3)  # m VND per person
    methods = dict(zip(agg[agg.indicator == "grdp_real_growth"].year, agg[agg.indicator == "grdp_real_growth"].method))
    assert "constant-price levels" in methods[2021] and "shares of 2019" in methods[2020]


def test_merged_population_and_grdp_of_the_shipped_data():
    """Hand sums of the three former units (calibration/data/observations.csv)."""
    config = load_config(CONFIG)
    obs = load_observations(config)
    agg = aggregate(obs.selected, merged=config.merge.region, components=config.merge.components,
                    max_weight_gap=config.merge.max_weight_gap)
    pop = series(agg, "can_tho_merged", "population_avg")
    assert pop[2022] == 1_252_350 + 1_197_823 + 729_470
    assert series(agg, "can_tho_merged", "grdp_current")[2023] == 119_377 + 72_472 + 59_809
    assert 2021 not in series(agg, "can_tho_merged", "grdp_current").index  # partial sums are never formed


def test_shipped_calibration_is_up_to_date(capsys):
    """`simulate calibrate --check` on the shipped data: the committed file is what the data give."""
    assert main(["calibrate", str(CONFIG), "--check"]) == 0, capsys.readouterr().out


def test_check_flags_a_stale_file_and_calibrate_rewrites_it(tmp_path, capsys):
    folder = tmp_path / "calibration"  # the folder's name appears in the written sources
    for name in ("calibrate.toml", "priors.toml", "data/observations.csv"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes((REPO / "calibration" / name).read_bytes())
    target = folder / "parameters.toml"
    target.write_text("# stale\n", encoding="utf-8")
    config = str(folder / "calibrate.toml")
    assert main(["calibrate", config, "--check"]) == 1
    assert "would change" in capsys.readouterr().out
    assert main(["calibrate", config, "--report"]) == 0
    assert (folder / "data_report.md").is_file()
    assert target.read_bytes() == (REPO / "calibration" / "parameters.toml").read_bytes()
    assert main(["calibrate", config, "--report", "--check"]) == 0


def test_config_without_sources_keeps_every_prior(tmp_path):
    """No [sources.*]: nothing is estimated from data, every prior is written unchanged."""
    from simulator.estimation.pipeline import calibrate
    from simulator.parameters import load_calibration

    config = _setup(tmp_path, "a,2020,population_avg,100,persons,n/a,s,\n")
    (tmp_path / "priors.toml").write_bytes((REPO / "calibration" / "priors.toml").read_bytes())
    out = calibrate(config)
    assert set(out.run.entries) <= {"production.disaster_probability"}  # from the config's record alone
    assert "production.trend_growth" in out.run.fallbacks
    (tmp_path / "parameters.toml").write_text(out.text, encoding="utf-8")
    cal = load_calibration(tmp_path / "parameters.toml")
    assert cal.parameters["demography.population_growth_mean"].value == -0.0012


def test_source_choice_does_not_depend_on_row_order():
    from simulator.estimation.data import choose_sources

    config = load_config(CONFIG)
    obs = load_observations(config)
    shuffled = choose_sources(obs.rows.sample(frac=1.0, random_state=1), config)
    cols = ["region", "year", "indicator", "value", "source"]
    assert shuffled.selected[cols].reset_index(drop=True).equals(obs.selected[cols].reset_index(drop=True))


def test_panel_script_reruns_without_the_staging_file(tmp_path, monkeypatch):
    """make_panel_observations.py: with the shared files alone, the rows once copied from the
    staging file (gone) are carried over from the current panel file; the others are rebuilt."""
    import importlib.util
    import shutil

    script = REPO / "calibration" / "data" / "make_panel_observations.py"
    spec = importlib.util.spec_from_file_location("make_panel_observations", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shutil.copy(REPO / "calibration" / "data" / "panel_observations.csv", tmp_path / "panel_observations.csv")
    monkeypatch.setattr(module, "HERE", tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    columns = ",".join(module.COLUMNS)
    (shared / "observations-panel.csv").write_text(
        columns + "\nan_giang,2015,grdp_constant_2010,50000,bn_vnd,constant_2010,https://example.org/a,2016-05 table\n",
        encoding="utf-8")
    (shared / "outside-view.csv").write_text(
        "region,indicator,year_or_period,value,unit,source_date,quote,source_url\n", encoding="utf-8")
    carried = module.carried_staging_rows(REPO / "calibration" / "data" / "panel_observations.csv")
    assert carried and all(r["note"].endswith("copied from " + module.STAGING_SOURCE) for r in carried)
    assert module.main(["script", str(shared)]) == 0
    with (tmp_path / "panel_observations.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(carried) + 1
    assert [r for r in rows if r["region"] == "an_giang" and r["year"] == "2015"][0]["value"] == "50000"
    assert module.main(["script"]) == 2  # the shared folder is required: no machine-specific default


def test_check_tells_an_optimisers_tolerance_from_a_changed_estimate(tmp_path, capsys):
    """A maximum-likelihood estimate one rounding step off on another CPU (0.0005861 against
    0.000586 seen on AVX-512 against AVX2) is the same estimate; a value moved by more than 0.1 %
    or a changed text (a new sample) is a stale file, named with its key."""
    from simulator.estimation.writer import SAME_ESTIMATE_RTOL, differences

    text = (REPO / "calibration" / "parameters.toml").read_text(encoding="utf-8")
    assert differences(text, text) == ([], 0.0)
    key = "[parameters.production.trend_growth]\nvalue = "
    start = text.index(key) + len(key)
    end = text.index("\n", start)
    value = float(text[start:end])

    def with_value(v):
        return text[:start] + repr(v) + text[end:]

    changed, largest = differences(with_value(value * (1 + SAME_ESTIMATE_RTOL / 4)), text)
    assert changed == [] and 0 < largest < SAME_ESTIMATE_RTOL
    changed, _ = differences(with_value(value * (1 + 3 * SAME_ESTIMATE_RTOL)), text)
    assert changed == ["parameters.production.trend_growth.value"]
    changed, _ = differences(text.replace("observations)", "observations.)", 1), text)
    assert len(changed) == 1 and changed[0].endswith(".sample")
    changed, _ = differences(with_value(float("inf")), text)
    assert changed == ["parameters.production.trend_growth.value"]

    folder = tmp_path / "calibration"
    for name in ("calibrate.toml", "priors.toml", "data/observations.csv"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes((REPO / "calibration" / name).read_bytes())
    assert main(["calibrate", str(folder / "calibrate.toml")]) == 0
    target = folder / "parameters.toml"
    fresh = target.read_text(encoding="utf-8")
    start = fresh.index(key) + len(key)
    end = fresh.index("\n", start)
    capsys.readouterr()
    target.write_text(fresh[:start] + repr(float(fresh[start:end]) * 1.0002) + fresh[end:], encoding="utf-8")
    assert main(["calibrate", str(folder / "calibrate.toml"), "--check"]) == 0
    assert "the optimiser's tolerance" in capsys.readouterr().out
    target.write_text(fresh[:start] + repr(float(fresh[start:end]) * 1.01) + fresh[end:], encoding="utf-8")
    assert main(["calibrate", str(folder / "calibrate.toml"), "--check"]) == 1
    assert "first at parameters.production.trend_growth.value" in capsys.readouterr().out
