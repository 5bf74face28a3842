"""compare, solve and audit: paired differences, closed-form solutions, identities of the targets."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simulator
from simulator.audit import INCONSISTENT, audit
from simulator.cli import main
from simulator.compare import from_run, paired_difference, unpaired_difference
from simulator.errors import InputError
from simulator.solve import solve, solve_all
from simulator.runner import Variant, run_variants

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "base.toml"
VARIANTS = REPO / "scenarios" / "variants"


def _inputs(path=BASE, overrides=(), **settings):
    return simulator.resolve(simulator.load_scenario(path, overrides=list(overrides), **settings))


def test_mcnemar_standard_error_by_hand():
    # 1,000 paths: 30 hit only by the first variant, 50 only by the second.
    # Δ = (50 − 30)/1000 = 0.02; Var = ((30 + 50) − 20²/1000)/1000² = 79.6e-6, SE = 0.0089219
    delta, se = paired_difference(np.array([30]), np.array([50]), 1000)
    assert delta[0] == pytest.approx(0.02)
    assert se[0] == pytest.approx(np.sqrt(79.6) / 1000)


def test_an_identical_variant_differs_by_exactly_zero():
    inputs = _inputs(paths=4000)
    comparison = from_run(run_variants([Variant(inputs), Variant(inputs, name="same")]), ("a", "b"))
    d = comparison.differences()["same"]
    assert np.all(d["delta"] == 0) and np.all(d["se"] == 0)
    assert not d["significant"].any()


def test_paired_se_is_below_the_unpaired_one_on_a_variant_that_moves_p():
    base, plan = _inputs(paths=8000), _inputs(VARIANTS / "investment_40.toml", paths=8000)
    comparison = from_run(run_variants([Variant(base), Variant(plan)]), ("a", "b"))
    d = comparison.differences()[plan.name]
    j = comparison.ids.index("1c")
    assert d["significant"][j] and d["delta"][j] > 0
    _, unpaired_se = unpaired_difference(comparison.hits[0], comparison.hits[1], 8000, 8000)
    moved = d["delta"] != 0
    # never above it; equal where one variant hits on no path (every hit of the other is discordant: 1a, 0 and 3)
    assert np.all(d["se"][moved] <= unpaired_se[moved] * (1 + 1e-12)) and d["se"][j] < unpaired_se[j]
    assert np.sum(d["se"][moved] < unpaired_se[moved]) >= moved.sum() - 2


def test_compare_json_has_the_promised_fields(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(BASE), str(VARIANTS / "investment_40.toml"), "--paths", "3000", "--format", "json",
                 "--out", str(out)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["paired"] is True
    assert [v["name"] for v in payload["variants"]] == ["base", "investment_40"]
    assert payload["variants"][1]["levers"]["investment_share"]["by_year"] == [0.4] * 5
    row = next(t for t in payload["targets"] if t["id"] == "4-share")
    for key in ("p_hit", "delta", "delta_se", "delta_ci95", "gained", "lost", "significant"):
        assert key in row
    assert row["significant"]["investment_40"] and row["gained"]["investment_40"] > row["lost"]["investment_40"]
    assert {p.name for p in out.iterdir()} == {"compare_targets.csv", "compare_series.csv", "compare_groups.csv",
                                               "compare.json"}


def test_compare_refuses_variants_that_cannot_be_paired(tmp_path, capsys, write_scenario):
    other = write_scenario('[montecarlo]\nseed = 7\n[scenario]\nname = "other"\n')
    from conftest import assert_cli_fails

    err = assert_cli_fails(capsys, ["compare", str(BASE), str(other), "--paths", "500", "--no-write"], "cannot be paired",
                           "seed", "--unpaired")
    assert err.startswith(f"simulate: error: in {other}")  # blamed on the variant, not on the baseline
    assert main(["compare", str(BASE), str(other), "--paths", "500", "--no-write", "--unpaired", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["paired"] is False and "UNPAIRED" in payload["note"]


def test_every_shipped_variant_extends_the_base_and_pairs_with_it():
    base = _inputs(paths=500)
    files = sorted(VARIANTS.glob("*.toml"))
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("#") and 'extends = "../base.toml"' in text, path.name
        variant = _inputs(path, paths=500)
        assert base.contract.differences(variant.contract) == [], path.name


def test_solve_matches_the_lognormal_closed_form():
    """Population in 2030 is lognormal with normal shocks, fixed parameters and a random walk
    (no irregular, a fixed drift):
    ln P = ln P₀ + 5(n + m) + σ·√5·Z, so P(P ≥ T) = p at m* = (ln T − ln P₀ + σ√5·Φ⁻¹(p))/5 − n."""
    inputs = _inputs(paths=20_000, parameter_uncertainty=False, overrides=[
        "parameters.shocks.student_t_df=0", "parameters.demography.population_irregular_sd=0",
        "parameters.demography.population_drift_sd=0", "parameters.demography.population_growth_sd=0.0025"])
    cal = inputs.calibration
    p0 = cal.base["population_persons"].value
    n, sigma = cal.value("demography.population_growth_mean"), cal.value("demography.population_growth_sd")
    target = next(t for t in inputs.registry.targets if t.id == "9")
    threshold = target.threshold * (1 - inputs.target_options.tolerance("9"))
    for p in (0.3, 0.7):
        exact = (np.log(threshold) - np.log(p0) + sigma * np.sqrt(5) * stats.norm.ppf(p)) / 5 - n
        s = solve(inputs, target_id="9", lever="net_migration_boost", probability=p, bounds=(-0.01, 0.02))
        low, high = s.solution_ci95
        assert low < s.solution < high
        # within three standard errors of the Monte Carlo (the 95 % interval is ±1.96 of them);
        # over 20 seeds the 95 % interval covered the closed form 38 times in 40
        assert abs(s.solution - exact) <= 3 * (high - low) / (2 * 1.96), (exact, s.solution_ci95)
        assert s.non_monotone_paths == 0
        assert s.deterministic == pytest.approx((np.log(threshold) - np.log(p0)) / 5 - n, abs=1e-7)


def test_thresholds_count_every_start_and_stop_of_a_hit_by_hand():
    """Four paths: one hits from the low end on, one from 0.2, one from 0.5 until 0.7 (a hit up to
    its stop included): P = start + starts so far − stops before."""
    from simulator.solve import Thresholds

    th = Thresholds(n=4, start=1, up=np.array([0.5, 0.2]), down=np.array([0.7]), non_monotone=1, evaluations=0)
    np.testing.assert_allclose(th.probability([0.0, 0.2, 0.5, 0.7, 0.8]), [0.25, 0.5, 0.75, 0.75, 0.5])


def test_solve_curve_is_the_direct_run_where_the_margin_turns():
    """6a against the investment share: a path too slow to have a TFP share at low investment can
    hit over a narrow band above it, then miss as capital takes over. The curve of solve is exact
    there: it matches runs at the lever values themselves (the one-crossing curve was 0.953
    against 0.988 at 0.1 on 20,000 paths)."""
    inputs = _inputs(paths=6000)
    s = solve(inputs, target_id="6a", lever="investment_share", probability=0.5)
    assert s.non_monotone_paths > 0
    for share in (0.1, 0.2, 0.3):
        on_curve = next(p for x, p in s.curve if abs(x - share) < 1e-12)
        direct = simulator.run(BASE, overrides=["montecarlo.paths=6000", f"levers.investment_share={share}"])
        p = next(t.p_hit for t in direct.targets if t.id == "6a")
        assert abs(on_curve - p) <= 3 / 6000, (share, on_curve, p)


def test_an_unreachable_probability_is_reported_not_invented():
    inputs = _inputs(paths=3000)
    s = solve(inputs, target_id="10", lever="tfp_growth_boost", probability=0.5, bounds=(0.0, 0.01))
    assert s.solution is None and not s.reachable and s.solution_ci95 is None
    assert s.max_probability < 0.5 and s.to_dict()["solution"] is None


def test_solve_says_when_the_target_is_met_already_or_not_moved():
    """P(1c) is above 0.5 at the low end of [0.9, 1]: the answer is "any value", not the low end
    as if it were a threshold; 9 (population) does not move with TFP growth at all."""
    inputs = _inputs(paths=2000)
    met = solve(inputs, target_id="1c", lever="investment_share", probability=0.5, bounds=(0.9, 1.0))
    assert met.status == "met over the whole range" and min(met.probability_at_range) >= 0.5
    assert met.deterministic is None and met.deterministic_status == "met over the whole range" and met.moved_by_lever
    still = solve(inputs, target_id="9", lever="tfp_growth_boost", probability=0.5)
    assert still.status == "met over the whole range" and not still.moved_by_lever
    unmoved = solve(inputs, target_id="9", lever="tfp_growth_boost", probability=0.95)
    assert unmoved.status == "not moved by the lever" and unmoved.solution is None
    assert unmoved.probability_at_range[0] == unmoved.probability_at_range[1] < 0.95
    crossing = solve(inputs, target_id="1c", lever="investment_share", probability=0.5)
    assert crossing.status == "reached" and crossing.deterministic_status == "crosses"
    assert "evaluations" not in crossing.to_dict()  # a cost that depends on the chunking, not a result
    rows = {r["id"]: r for r in solve_all(inputs, lever="tfp_growth_boost", bounds=(0.0, 0.01), points=3)}
    assert rows["8"]["status"] == "prior"
    assert rows["9"]["status"] == "met over the whole range" and not rows["9"]["moved_by_lever"]


@pytest.mark.parametrize("extra, key, fragment", [
    (["--frontier", "investment_share"], "--frontier", "a lever other than --lever"),
    (["--frontier", "nope"], "--frontier", "unknown lever 'nope'"),
    (["--frontier", "tfp_growth_boost", "--range2", "0", "9"], "--range2", "range must satisfy"),
    (["--range2", "0", "0.01"], "--range2", "give --frontier too"),
    (["--grid", "5"], "--grid", "drop --grid or add --all or --frontier"),
])
def test_solve_checks_the_frontier_before_any_work(capsys, extra, key, fragment):
    from conftest import assert_cli_fails

    assert_cli_fails(capsys, ["solve", str(BASE), "--target", "1c", "--lever", "investment_share", "--paths", "100000000",
                              "--no-write", *extra], key, fragment)


def test_solve_refuses_priors_ranges_and_unknown_names():
    inputs = _inputs(paths=500)
    with pytest.raises(InputError, match="prior"):
        solve(inputs, target_id="8", lever="investment_share")
    ranged = _inputs(paths=500, overrides=['target_options.readings.6e="range"'])
    with pytest.raises(InputError, match="range"):
        solve(ranged, target_id="6e", lever="tfp_growth_boost")
    with pytest.raises(InputError, match="unknown lever"):
        solve(inputs, target_id="1c", lever="tax_rate")


def test_what_it_takes_table_moves_with_the_lever_and_says_what_it_cannot_move():
    rows = {r["id"]: r for r in solve_all(_inputs(paths=3000), lever="tfp_growth_boost", bounds=(0.0, 0.04), points=5)}
    assert rows["1c"]["moved_by_lever"] and rows["1c"]["p_at_high"] > rows["1c"]["p_at_low"]
    assert not rows["3-agri"]["moved_by_lever"]
    assert rows["8"]["solution"] is None  # a prior: no lever reaches it


def _registry(tmp_path, rows: str) -> Path:
    reg = tmp_path / "registry.toml"
    reg.write_text('[registry]\ntitle_en = "t"\ntitle_vi = "t"\nsource = "made up"\nbase_year = 2025\ntarget_year = 2030\n'
                   '[group.economy]\nname_en = "economy"\nname_vi = "kinh tế"\n' + rows, encoding="utf-8")
    return reg


def _row(i, metric, comparator, threshold, unit, kind="level", extra=""):
    return (f'[[target]]\nid = "t{i}"\nnumber = {i}\ngroup = "economy"\nname_en = "x"\nname_vi = "x"\nmetric = "{metric}"\n'
            f'kind = "{kind}"\ncomparator = "{comparator}"\nthreshold = {threshold}\nunit = "{unit}"\n{extra}')


def _audited(tmp_path, rows):
    reg = _registry(tmp_path, rows)
    scenario = tmp_path / "audited.toml"
    scenario.write_text(f'[scenario]\nname = "audited"\ncalibration = "{(REPO / "calibration" / "parameters.toml").as_posix()}"\n'
                        f'targets = "{reg.as_posix()}"\nhorizon = 2030\n', encoding="utf-8")
    return audit(_inputs(scenario, allow_outside=True))  # the shipped calibration lies outside tmp_path


def test_audit_finds_a_consistent_made_up_registry_consistent(tmp_path):
    rows = (_row(1, "grdp_current_bn_vnd", ">=", 600000, "bn VND") + _row(2, "grdp_per_capita_mvnd", ">=", 180, "m VND/person/year")
            + _row(3, "population_persons", ">=", 3333333.3, "persons") + _row(4, "investment_current_bn_vnd", ">=", 240000, "bn VND")
            + _row(5, "investment_share", ">=", 40, "%") + _row(6, "share_agri", "<", 20, "%") + _row(7, "share_services", ">", 45, "%"))
    result = _audited(tmp_path, rows)
    statuses = {c.name: c.status for c in result.checks}
    assert statuses["GRDP = per capita × population"] == "consistent"
    assert statuses["investment = share × GRDP"] == "consistent"
    assert statuses["grdp structure sums to 100 %"] == "consistent"
    assert result.exit_status == 0


def test_audit_flags_a_deliberately_inconsistent_registry(tmp_path):
    rows = (_row(1, "grdp_current_bn_vnd", ">=", 717000, "bn VND") + _row(2, "grdp_per_capita_mvnd", ">=", 250, "m VND/person/year")
            + _row(3, "population_persons", ">=", 3335000, "persons") + _row(4, "investment_current_bn_vnd", ">=", 286000, "bn VND")
            + _row(5, "investment_share", ">=", 40, "%") + _row(6, "share_agri", ">", 60, "%") + _row(7, "share_services", ">", 45, "%")
            + _row(8, "budget_revenue_bn_vnd", ">=", 57000, "bn VND")
            + _row(9, "budget_revenue_bn_vnd", ">=", 15, "%/yr", kind="average_growth", extra="period = [2025, 2030]\n"))
    result = _audited(tmp_path, rows)
    checks = {c.name: c for c in result.checks}
    assert checks["GRDP = per capita × population"].status == INCONSISTENT
    assert "t2 with t3 is the stricter" in checks["GRDP = per capita × population"].message
    assert checks["investment = share × GRDP"].status == INCONSISTENT
    assert "39.89 %" in checks["investment = share × GRDP"].message
    assert checks["grdp structure sums to 100 %"].status == INCONSISTENT
    assert checks["level and growth of budget_revenue_bn_vnd"].status == INCONSISTENT
    # (57,000 / 26,685)^(1/5) − 1 = 16.39 %/yr from the calibrated 2025 base
    assert "16.39 %/yr" in checks["level and growth of budget_revenue_bn_vnd"].message
    assert result.exit_status == 1


def test_audit_cli_exit_status_and_json(capsys):
    assert main(["audit", str(BASE), "--format", "json", "--no-write"]) == 1  # the shipped registry has inconsistencies
    payload = json.loads(capsys.readouterr().out)
    assert payload["exit_status"] == 1 and payload["inconsistent"] >= 1
    assert {"name", "identity", "targets", "status", "message", "values"} <= set(payload["checks"][0])


def test_audit_speaks_vietnamese_with_the_same_findings(capsys):
    """--lang vi words the statuses, the checks and the findings (decimal comma, thousands point);
    the numbers are the English ones, and the JSON stays in English."""
    from simulator.output import labels

    assert main(["audit", str(BASE), "--no-write"]) == 1
    en = capsys.readouterr().out
    assert main(["audit", str(BASE), "--no-write", "--lang", "vi"]) == 1
    vi = capsys.readouterr().out
    assert "mức và tăng trưởng của Kim ngạch xuất khẩu" in vi and "1 kiểm tra không nhất quán; mã thoát 1." in vi
    assert "Tỷ trọng lao động nông, lâm, thủy sản 38,00 %" in vi  # series by their Vietnamese names
    assert "exports_musd" in en and "emp_share_agri 38.00 %; " in en
    assert "717.025 so với 717.000 (+0,00%" in vi and "717,025 against 717,000 (+0.00%" in en
    for english in ("against", "needs", "consistent", "structure sums", "exit status"):
        assert english not in vi, english
    words = labels("vi")["audit"]
    assert set(words) == set(labels("en")["audit"])
    for key, text in labels("en")["audit"].items():  # the same fields in both languages
        if isinstance(text, str):
            assert sorted(re.findall(r"{(\w+)}", text)) == sorted(re.findall(r"{(\w+)}", words[key])), key
    assert main(["audit", str(BASE), "--no-write", "--lang", "vi", "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert any(c["message"].startswith("from the base 5,508") for c in payload["checks"])


def test_solve_all_on_two_workers_gives_the_same_table(capsys):
    argv = ["solve", "scenarios/base.toml", "--all", "--lever", "investment_share", "--grid", "3", "--paths", "20000",
            "--chunk-size", "8192", "--no-write", "--format", "json"]
    assert main(argv + ["--workers", "1"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert main(argv + ["--workers", "2"]) == 0
    assert json.loads(capsys.readouterr().out) == one


def test_what_it_takes_table_fits_the_terminal(capsys, monkeypatch):
    """On a 100-column terminal every line of solve --all fits (names cut, the notes left out and
    said so); --wide and a pipe (no COLUMNS, not a terminal) print everything, ids whole."""
    argv = ["solve", str(BASE), "--all", "--lever", "tfp_growth_boost", "--range", "0", "0.03", "--grid", "3",
            "--paths", "400", "--no-write"]
    monkeypatch.setenv("COLUMNS", "100")
    assert main(argv) == 0
    fitted = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in fitted) <= 100
    assert fitted[-1].startswith("Columns left out to fit the terminal: note")
    assert any(line.startswith("14-compulsory-education ") for line in fitted)
    assert "unreachable in [0, 0.03]" in "\n".join(fitted)
    for lang in ("en", "vi"):  # at 80 columns the answers in short words (the range is in the title)
        monkeypatch.setenv("COLUMNS", "80")
        assert main(argv + ["--lang", lang]) == 0
        narrow = capsys.readouterr().out.splitlines()
        assert max(len(line) for line in narrow) <= 80, max(narrow, key=len)
        assert any(line.startswith("1a ") and line.split()[-3] == ("unreachable" if lang == "en" else "đạt")
                   for line in narrow)
    monkeypatch.setenv("COLUMNS", "100")
    assert main(argv + ["--wide"]) == 0
    wide = capsys.readouterr().out
    assert "max P " in wide and "Columns left out" not in wide and max(len(x) for x in wide.splitlines()) > 100
    monkeypatch.delenv("COLUMNS")
    assert main(argv) == 0
    assert capsys.readouterr().out == wide  # captured output is no terminal: every column
    assert all(line == line.rstrip() for line in wide.splitlines())


def test_planning_tables_are_worded_in_vietnamese(capsys):
    """--lang vi words the compare, solve and update tables, with the decimal comma and the
    interval's '; ' (a ',' would read as a decimal mark)."""
    variant = sorted(VARIANTS.glob("*.toml"))[0]
    assert main(["compare", str(BASE), str(variant), "--paths", "600", "--no-write", "--lang", "vi"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("So sánh 2 phương án, 600 lần mô phỏng") and "hạng" in text and "Trung vị năm 2030" in text
    assert "0,001" in text or "0,000" in text
    assert "; +" in text and "Comparison" not in text and "rank" not in text
    # the medians by the series' Vietnamese names and units, the groups by their names
    assert "Dân số trung bình" in text and "triệu đồng/người/tháng" in text and "population_persons" not in text
    assert "tất cả chỉ tiêu mô hình hóa" in text and "kinh tế" in text and "all_modelled" not in text
    assert main(["solve", str(BASE), "--target", "1c", "--lever", "investment_share", "--paths", "600", "--no-write",
                 "--lang", "vi"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Điều kiện cần: 1c") and "nghiệm: investment_share = 0," in text
    assert "lộ trình không biến động: đạt chỉ tiêu tại" in text and "What it takes" not in text


def test_a_tiny_negative_difference_is_not_printed_as_minus_zero():
    from simulator.planning import _signed

    assert _signed(-0.0004) == "+0.000" and _signed(-0.0006) == "-0.001" and _signed(0.0123) == "+0.012"
