"""Every target of the report has a registry row, every row is evaluated or qualitative, and bad
rows, priors and tolerances are rejected at load time with the file, key and rule."""

import re
from pathlib import Path

import pytest
from conftest import assert_cli_fails

import simulator
from simulator.errors import InputError
from simulator.metrics import ADMINISTRATIVE, KNOWN_UNITS, SERIES
from simulator.output import labels, render_table
from simulator.results import NOT_MODELLED
from simulator.targets import Method, load_registry

REPO = Path(__file__).resolve().parents[1]
REGISTRY = REPO / "scenarios" / "targets_2030.toml"
MISSION = REPO.parent / "shared" / "mission" / "targets-2030.md"


@pytest.fixture(scope="module")
def base_result():
    return simulator.run(REPO / "scenarios" / "base.toml", paths=2000)


def _mission_ids() -> list[str]:
    """The ids of the English rendering's tables ('1a', '6h', '13', …); the numbers 1–28 without it."""
    if not MISSION.exists():
        return [str(n) for n in range(1, 29)]
    return re.findall(r"^\| (\d+[a-h]?) \|", MISSION.read_text(encoding="utf-8"), re.MULTILINE)


def test_every_target_of_the_report_has_a_row():
    registry = load_registry(REGISTRY, metric_units=KNOWN_UNITS, simulated=set(SERIES))
    ids = [t.id for t in registry.targets]
    numbers = {t.number for t in registry.targets}
    expected = _mission_ids()
    assert len(expected) >= 28
    for target in expected:
        number = int(re.match(r"\d+", target).group())
        assert number in numbers, f"target {target} of targets-2030.md has no registry row"
        if target[-1].isalpha():  # a lettered sub-target: its id or id-suffix rows
            assert any(i == target or i.startswith(target + "-") for i in ids), f"sub-target {target} has no row"
    assert set(range(1, 29)) <= numbers


def test_every_row_is_evaluated_or_explicitly_qualitative(base_result):
    assert all(t.method != NOT_MODELLED for t in base_result.targets)
    for t in base_result.targets:
        if t.method == Method.QUALITATIVE.value:
            assert t.p_hit is None and t.metric is None
        else:
            assert t.p_hit is not None and 0.0 <= t.p_hit <= 1.0, t.id
    assert sum(t.method == "qualitative" for t in base_result.targets) == 1  # (21) smart-city tasks


def test_every_prior_row_has_a_reason_in_the_base_scenario(base_result):
    for t in base_result.targets:
        if t.method == "prior":
            assert t.prior_reason and t.prior_probability is not None
            assert t.metric in ADMINISTRATIVE


@pytest.mark.parametrize("row, fragment", [
    ('metric = "grdp_curent_bn_vnd"\ncomparator = ">="\nthreshold = 1\nunit = "bn VND"\n',
     "unknown metric 'grdp_curent_bn_vnd'. Did you mean 'grdp_current_bn_vnd'"),
    ('metric = "share_agri"\ncomparator = ">"\nthreshold = 100\nunit = "%"\n', "impossible comparator"),
    ('metric = "share_agri"\ncomparator = "<"\nthreshold = 0\nunit = "%"\n', "impossible comparator"),
    ('metric = "pci_rank"\nmethod = "prior"\ncomparator = "<"\nthreshold = 1\nunit = "rank"\n', "at least 1 rank"),
    ('metric = "share_agri"\ncomparator = "between"\nthresholds = [120, 130]\nunit = "%"\n', "outside the range"),
    ('metric = "grdp_current_bn_vnd"\ncomparator = ">="\nthreshold = 1\nunit = "%"\n', "does not fit metric"),
    ('metric = "poverty_rate"\ncomparator = "<="\nthreshold = 2.4\nunit = "persons"\n', "does not fit metric"),
    ('metric = "pci_rank"\nmethod = "trend"\ncomparator = "<="\nthreshold = 15\nunit = "rank"\n', "administrative indicator"),
])
def test_bad_rows_fail_at_load_time(write_registry, row, fragment):
    with pytest.raises(InputError, match=re.escape(fragment)) as info:
        load_registry(write_registry(row), metric_units=KNOWN_UNITS, simulated=set(SERIES))
    assert "reg.toml" in str(info.value) and "target[0]" in str(info.value)


def test_prior_without_reason(capsys, write_scenario):
    path = write_scenario('[priors."5-pci"]\nprobability = 0.5\nreason = ""\n')
    assert_cli_fails(capsys, [str(path), "--no-write"], "variant.toml", "priors.5-pci.reason")


def test_prior_with_two_forms(capsys, write_scenario):
    path = write_scenario('[priors."5-pci"]\nprobability = 0.5\nalpha = 2.0\nbeta = 2.0\nreason = "x"\n')
    assert_cli_fails(capsys, [str(path), "--no-write"], "priors.5-pci", "either probability, or both alpha and beta")


def test_prior_for_a_modelled_target(capsys, write_scenario):
    path = write_scenario('[priors."1a"]\nprobability = 0.5\nreason = "x"\n')
    assert_cli_fails(capsys, [str(path), "--no-write"], "priors.1a", "not a prior target")


def test_prior_missing_for_a_prior_target(capsys, project):
    text = (REPO / "scenarios" / "base.toml").read_text(encoding="utf-8")
    cut = text.replace('[priors."16"]\nprobability = 0.35\n', '[priors_removed_16]\n')
    start = cut.index("[priors_removed_16]")
    cut = cut[:start] + cut[cut.index("\n\n", start) + 2:]
    path = project / "scenarios" / "no16.toml"
    path.write_text(cut, encoding="utf-8")
    assert_cli_fails(capsys, [str(path), "--no-write"], "no16.toml", "no prior for the prior target(s) 16")


def test_tolerance_for_a_target_that_is_not_about(capsys, write_scenario):
    path = write_scenario('[target_options.approx_tolerance_by_target]\n"1a" = 0.05\n')
    assert_cli_fails(capsys, [str(path), "--no-write"], "approx_tolerance_by_target.1a", "not an \"about\"")


def test_tolerance_is_scenario_changeable(write_scenario):
    strict = simulator.run(write_scenario('[target_options.approx_tolerance_by_target]\n"2-growth" = 0.0\n'), paths=3000)
    loose = simulator.run(write_scenario('[target_options.approx_tolerance_by_target]\n"2-growth" = 0.5\n', "loose.toml"), paths=3000)
    p = {r: {t.id: t for t in res.targets} for r, res in (("strict", strict), ("loose", loose))}
    assert p["strict"]["2-growth"].effective_threshold == pytest.approx(15.0)
    assert p["loose"]["2-growth"].effective_threshold == pytest.approx(7.5)
    assert p["loose"]["2-growth"].p_hit >= p["strict"]["2-growth"].p_hit
    assert p["loose"]["1a"].p_hit == p["strict"]["1a"].p_hit  # other targets untouched


def test_labels_cover_the_same_words_in_both_languages():
    en, vi = labels("en"), labels("vi")
    assert set(en) == set(vi)
    for section in ("methods", "groups", "plan"):
        assert set(en[section]) == set(vi[section])
    for key, text in en["plan"].items():  # the same placeholders in both languages
        assert re.findall(r"{(\w+)}", text) == re.findall(r"{(\w+)}", vi["plan"][key]), key


def test_vietnamese_table_uses_registry_units_and_labels(base_result):
    text = render_table(base_result, lang="vi")
    words = labels("vi")
    assert words["target"] in text and words["p_hit"] in text
    assert "tỷ đồng" in text and "triệu đồng/người/tháng" in text  # units of 1a and 1e from the registry
    assert "Tổng sản phẩm trên địa bàn (GRDP)" in text
    assert "GRDP at current prices" not in text
