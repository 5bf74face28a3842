"""The outside view: base rate, percentile and effective spells against hand computations; the
blended probability's formula; "no reference class" where the config maps nothing; the shipped
config runs end to end."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.outside_view import (Levels, VarianceComponents, blend, effective_spells, load_reference,
                                    outside_view_for, percentile_of, reached, spells, variance_components)

REPO = Path(__file__).resolve().parents[1]

#: Three regions, levels 2010–2013: two-year spells 2011–2012 and 2012–2013 of each.
LEVELS = {
    "a": [100.0, 110.0, 121.0, 133.1],     # 10.0 %, 10.0 %
    "b": [100.0, 105.0, 110.25, 121.275],  # 5.0 %, (121.275/105)^½ − 1 = 7.47 %
    "c": [100.0, 100.0, 125.0, 125.0],     # 11.80 %, 11.80 %
}


def _panel_files(tmp_path: Path) -> Path:
    lines = ["region,year,indicator,value,unit,price_basis,source,note"]
    for region, values in LEVELS.items():
        for year, v in zip(range(2010, 2014), values):
            lines.append(f"{region},{year},grdp_constant_2010,{v},bn_vnd,constant_2010,hand-made,")
    lines.append("a,2013,growth_target_min_3yr,9,pct,,https://example.org/plan,2010-10 | plan")
    lines.append("a,2013,growth_outcome_3yr_reported,8.5,pct,,https://example.org/outcome,2014-01 | report")
    (tmp_path / "panel.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "registry.toml").write_text(
        '[registry]\ntitle_en = "t"\ntitle_vi = "t"\nsource = "s"\nbase_year = 2025\ntarget_year = 2030\n'
        '[group.economy]\nname_en = "economy"\nname_vi = "kinh tế"\n'
        '[[target]]\nid = "g"\nnumber = 1\ngroup = "economy"\nname_en = "growth"\nname_vi = "tăng trưởng"\n'
        'metric = "grdp_real_bn_vnd"\nkind = "average_growth"\ncomparator = ">="\nthreshold = 8\nunit = "%/yr"\n'
        'period = [2025, 2030]\n'
        '[[target]]\nid = "x"\nnumber = 2\ngroup = "economy"\nname_en = "exports"\nname_vi = "xuất khẩu"\n'
        'metric = "exports_musd"\nkind = "average_growth"\ncomparator = ">="\nthreshold = 11\nunit = "%/yr"\n'
        'period = [2025, 2030]\n', encoding="utf-8")
    config = tmp_path / "outside_view.toml"
    config.write_text('''
[data]
file = "panel.csv"
spell_years = 2
registry = "registry.toml"
calibration = "unused.toml"
[classes.all]
label = "all three"
regions = ["a", "b", "c"]
[targets.g]
required = "threshold"
[no_reference.x]
reason = "no export series"
[plan_records.own]
label = "a's plans"
regions = ["a"]
[blend]
reference_class = "all"
model_weight = 4
''', encoding="utf-8")
    return config


def test_base_rate_and_percentile_match_a_hand_computation(tmp_path):
    frame = Levels(np.arange(2010, 2014), tuple(LEVELS), np.array(list(LEVELS.values())).T)
    growth = sorted(round(s.growth, 6) for s in spells(frame, 2))
    assert growth == [0.05, round((121.275 / 105) ** 0.5 - 1, 6), 0.1, 0.1, round(1.25**0.5 - 1, 6),
                      round(1.25**0.5 - 1, 6)]
    values = np.array([s.growth for s in spells(frame, 2)])
    # 8 %: a's two spells (10 %) and c's two (11.8 %) reach it, b's two (5 %, 7.47 %) do not
    assert reached(values, 0.08, ">=").mean() == pytest.approx(4 / 6)
    assert percentile_of(values, 0.08) == pytest.approx(100 * 2 / 6)
    # a tie counts half: at b's first spell (5 %), none below and one equal
    assert percentile_of(values, values.min()) == pytest.approx(100 * 0.5 / 6)

    views = outside_view_for({"g": 0.5, "x": 0.2, "unmapped": 0.1}, _panel_files(tmp_path))
    g = views["g"]
    assert g.has_reference and g.required == pytest.approx(0.08)
    (cls,) = g.classes
    assert (cls.n_spells, cls.reached) == (6, 4)
    assert cls.base_rate == pytest.approx(4 / 6) and cls.percentile == pytest.approx(100 * 2 / 6)
    # the blend uses the class's n_eff: (n_eff·b + m·P) / (n_eff + m) with a₀ = 0 (the default)
    assert g.blended.p == pytest.approx((cls.n_effective * 4 / 6 + 4 * 0.5) / (cls.n_effective + 4))
    record = g.to_dict()["plan_records"][0]
    assert record["reported"] == {"n": 1, "hits": 0, "hit_rate": 0.0, "mean_shortfall": pytest.approx(0.5)}
    # the back-series outcome of a's 2011–2013 from its levels: (133.1/100)^(1/3) − 1 = 10 %
    assert record["pairs"][0]["outcome_backseries"] == pytest.approx(10.0)


def test_no_reference_class_where_the_config_maps_nothing(tmp_path):
    views = outside_view_for([{"id": "x", "p_hit": 0.2}, {"id": "unmapped", "p_hit": None}], _panel_files(tmp_path))
    assert not views["x"].has_reference and views["x"].reason == "no export series"
    assert not views["unmapped"].has_reference and "no reference statistic is mapped" in views["unmapped"].reason
    for v in views.values():
        d = v.to_dict()
        assert d["reference_class"] is None and d["reason"] and "base_rate" not in d
        assert v.classes == () and v.blended is None


def test_blended_probability_on_hand_numbers():
    b = blend(0.04, 0.10, 20.0, model_weight=5.0, prior_pseudo=0.0)
    assert (b.prior_alpha, b.prior_beta) == pytest.approx((2.0, 18.0))
    assert (b.alpha, b.beta) == pytest.approx((2.2, 22.8))
    assert b.p == pytest.approx(2.2 / 25.0)  # 0.088, between the base rate and the model's P
    assert b.interval[0] < b.p < b.interval[1]
    jeffreys = blend(0.04, 0.10, 20.0, model_weight=5.0, prior_pseudo=0.5)
    assert jeffreys.p == pytest.approx(2.7 / 26.0)
    assert blend(0.04, 0.0, 3.0, model_weight=0.0).p == 0.0  # the class alone, none reached
    assert blend(0.3, 0.9, 0.0, model_weight=2.0).p == pytest.approx(0.3)  # the model alone


def test_effective_spells_on_hand_cases():
    one_region = [("r", start, start + 4) for start in range(2013, 2018)]  # five overlapping five-year windows
    assert effective_spells(one_region, VarianceComponents(0.0, 0.0, 1.0, 0)) == pytest.approx(25 / 17)
    # shared year shocks only: two regions' same window is one spell
    assert effective_spells([("a", 2013, 2017), ("b", 2013, 2017)], VarianceComponents(0.0, 1.0, 0.0, 0)) == pytest.approx(1.0)
    # a region effect only: a region's windows are one spell, regions independent
    cases = [(r, s, s + 4) for r in "abc" for s in (2013, 2014)]
    assert effective_spells(cases, VarianceComponents(1.0, 0.0, 0.0, 0)) == pytest.approx(3.0)
    # disjoint windows of independent residuals are independent
    assert effective_spells([("a", 2000, 2004), ("a", 2005, 2009)], VarianceComponents(0.0, 0.0, 1.0, 0)) == pytest.approx(2.0)


def test_variance_components_recover_the_generating_ones():
    rng = np.random.default_rng(7)
    regions, years = 300, 30
    x = (0.07 + 0.02 * rng.standard_normal(regions)[None, :] + 0.015 * rng.standard_normal(years)[:, None]
         + 0.03 * rng.standard_normal((years, regions)))
    x[rng.random(x.shape) < 0.05] = np.nan  # gaps
    vc = variance_components(pd.DataFrame(x))
    assert np.sqrt(vc.region) == pytest.approx(0.02, rel=0.15)
    assert np.sqrt(vc.residual) == pytest.approx(0.03, rel=0.05)
    assert np.sqrt(vc.year) == pytest.approx(0.015, rel=0.35)  # 30 years: a loose check


def test_shipped_config_gives_every_growth_target_an_entry():
    reference = load_reference(REPO / "calibration" / "outside_view.toml")
    ids = ["1c", "1a", "1b", "1d-growth", "2-growth", "7", "11b"]
    views = outside_view_for(dict.fromkeys(ids, 0.05), reference)
    assert [v.id for v in views.values()] == ids
    for tid in ("1c", "1a", "1b"):
        v = views[tid]
        assert v.has_reference and {c.name for c in v.classes} >= {"all_provinces", "mekong_delta", "own_units"}
        for c in v.classes:
            assert 0 <= c.base_rate <= 1 and 1 <= c.n_effective <= c.n_spells
    for tid in ("1d-growth", "2-growth", "7", "11b"):
        assert not views[tid].has_reference
    assert views["1c"].required == pytest.approx(0.10)
    # the data error of the sheet (Nam Định 2021) is dropped, nothing else
    assert [(d["region"], d["year"]) for d in reference.dropped] == [("nam_dinh", 2021)]


def test_vietnamese_rendering_has_the_words_reasons_and_decimal_comma_of_vi():
    from simulator.outside_view import render

    reference = load_reference(REPO / "calibration" / "outside_view.toml")
    views = outside_view_for({"1c": 0.05, "7": 0.1}, reference)
    en, vi = render(views, pairs=True), render(views, pairs=True, lang="vi")
    assert "No reference class:" in en and "Past plans," in en and " 10.00%" in en
    assert "Không có nhóm tham chiếu:" in vi and "Kế hoạch các kỳ trước" in vi and " 10,00%" in vi
    for english in ("Past plans", "reported", "back-series", "shortfall", "No reference", "provincial series"):
        assert english not in vi, english
    assert reference.config.no_reference["7"].reason_vi in vi
    table = [line for line in vi.splitlines()[2:] if line.startswith("1c ")]
    header = vi.splitlines()[2]
    assert table and all(len(line.rstrip(" *")) == len(header) for line in table)  # the columns line up
    # the classes named under the table, in the table's language (the config's label and label_vi)
    classes = reference.config.classes
    assert f"mekong_delta = {classes['mekong_delta'].label}" in en
    assert f"nhóm: all_provinces = {classes['all_provinces'].label_vi}" in vi and classes["mekong_delta"].label_vi in vi


def test_views_from_a_run_carry_the_model_p_and_serialise():
    import json

    import simulator
    from simulator.outside_view import outside_view_json

    result = simulator.run(REPO / "scenarios" / "base.toml", paths=2_000)
    views = outside_view_for(result.targets, REPO / "calibration" / "outside_view.toml")
    assert list(views) == [t.id for t in result.targets]
    one = views["1c"]
    p = next(t.p_hit for t in result.targets if t.id == "1c")
    assert one.model_p == p
    base, m, n_eff = one.headline.base_rate, 5.0, one.headline.n_effective
    assert one.blended.p == pytest.approx((n_eff * base + m * p) / (n_eff + m))
    assert min(base, p) <= one.blended.p <= max(base, p)
    out = json.loads(json.dumps(outside_view_json(views)))
    assert out["targets"]["1c"]["blended_p"] == pytest.approx(one.blended.p)
    assert out["targets"]["21"]["reference_class"] is None  # the qualitative row: no reference class
    assert {r["name"] for r in out["plan_records"]} == {"city", "region", "nation"}


def test_results_json_carries_the_outside_view_beside_each_target():
    import simulator

    data = simulator.run(REPO / "scenarios" / "base.toml", paths=2000).to_dict()
    rows = {t["id"]: t for t in data["targets"]}
    view = rows["1c"]["outside_view"]
    assert view["reference_class"] and 0 <= view["base_rate"] <= 1 and view["n_spells"] > 0
    assert 0 <= view["blended_p"] <= 1 and view["percentile"] is not None
    assert rows["2-level"]["outside_view"]["reference_class"] is None and rows["2-level"]["outside_view"]["reason"]
    assert data["outside_view"]["plan_records"]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_table_fits_80_columns_in_both_languages(lang):
    """The run prints the outside view under the target table: at 80 columns no line may wrap."""
    from simulator.outside_view import render

    reference = load_reference(REPO / "calibration" / "outside_view.toml")
    import tomllib

    ids = [t["id"] for t in tomllib.loads((REPO / "scenarios" / "targets_2030.toml").read_text("utf-8"))["target"]]
    text = render(outside_view_for(dict.fromkeys(ids, 0.05), reference), pairs=False, width=80, lang=lang)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_run_reads_its_calibration_file_once(monkeypatch):
    """The outside view's required rates use the calibration the run has read (the same file),
    and give the same rates as reading it again."""
    import simulator.inputs as inputs
    import simulator.parameters as parameters
    from simulator.outside_view import load_outside_view_config, required_rates
    from simulator.scenario import load_scenario

    read = []
    original = parameters.load_calibration

    def counted(path):
        read.append(path)
        return original(path)

    monkeypatch.setattr(parameters, "load_calibration", counted)
    monkeypatch.setattr(inputs, "load_calibration", counted)
    resolved = inputs.resolve(load_scenario(REPO / "scenarios/base.toml", paths=1000))
    assert len(read) == 1
    config = load_outside_view_config(REPO / "calibration/outside_view.toml")
    assert resolved.outside_view.required == required_rates(config)  # read afresh
    assert len(read) == 2


@pytest.mark.parametrize("edit, fragments", [
    # a level target whose threshold is not positive: no growth rate leads to it (a fuzz case: log(0))
    (("scenarios/targets_2030.toml", 'threshold = 717000', 'threshold = 0.0'),
     ("targets_2030.toml at key 'target 1a.threshold'", "not a positive level")),
    (("calibration/outside_view.toml", 'base = "grdp_current_bn_vnd"\noffsets = ["prices.deflator_growth_mean"]',
      'base = "grdp_curent_bn_vnd"\noffsets = ["prices.deflator_growth_mean"]'),
     ("outside_view.toml at key 'targets.1a.base'", "did you mean 'grdp_current_bn_vnd'")),
    (("calibration/outside_view.toml", 'offsets = ["prices.deflator_growth_mean"]\n', 'offsets = ["prices.deflator"]\n'),
     ("outside_view.toml at key 'targets.1a.offsets'", "'prices.deflator' is not a value of")),
    (("calibration/outside_view.toml", 'offsets = ["prices.deflator_growth_mean"]\n',
      'offsets = ["prices.deflator_growth_mean"]\nscale = 0\n'),
     ("outside_view.toml at key 'targets.1a.scale'", "greater than 0")),
    # found by the outside-view fuzz: a region without a level series (an error that named no file),
    # an infinite model weight (a NaN blended P), levels so sparse that no variance is left
    (("calibration/outside_view.toml", 'regions = ["can_tho_old", "soc_trang", "hau_giang"]\n',
      'regions = ["nowhere"]\n'),
     ("outside_view.toml at key 'classes.own_units.regions'", "no grdp_constant_2010 series for 'nowhere'")),
    (("calibration/outside_view.toml", "model_weight = 5", "model_weight = inf"),
     ("outside_view.toml at key 'blend.model_weight'", "finite number")),
    (("calibration/outside_view.toml", "max_abs_log_change = 0.5", "max_abs_log_change = 0.0625"),
     ("outside_view.toml at key 'classes.", "too few for the variance of its growth")),
])
def test_a_level_mapping_that_cannot_give_a_rate_is_refused_by_name(capsys, project, edit, fragments):
    from conftest import assert_cli_fails

    file, old, new = edit
    path = project / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert_cli_fails(capsys, [str(project / "scenarios" / "base.toml"), "--paths", "1000", "--no-write"], *fragments)


def test_spells_longer_than_the_panel_give_a_reason_not_a_crash(project, capsys):
    """spell_years beyond the panel's years leaves every class without spells: each mapped target
    says so instead of a base rate (it raised an AttributeError before; found by the fuzz)."""
    import json

    from simulator.cli import main

    path = project / "calibration" / "outside_view.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("spell_years = 5", "spell_years = 10"), encoding="utf-8")
    assert main([str(project / "scenarios" / "base.toml"), "--paths", "1000", "--no-write", "--format", "json"]) == 0
    rows = {t["id"]: t["outside_view"] for t in json.loads(capsys.readouterr().out)["targets"]}
    assert rows["1c"]["reference_class"] is None and "no spell of 10 years" in rows["1c"]["reason"]
