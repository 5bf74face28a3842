"""The cases of issue 13, one by one: bad input is refused in one line naming the file and key
(exit status 2), never a traceback and never a silently changed answer."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, assert_cli_fails

from simulator.cli import main

SMALL = ["--paths", "200", "--no-write"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---------------------------------------------------------------- calibration files


@pytest.mark.parametrize("old, new, key, fragment", [
    ("[base.grdp_current_bn_vnd]\nvalue = 306000", "[base.grdp_current_bn_vnd]\nvalue = inf",
     "base.grdp_current_bn_vnd.value", "finite"),
    ("[base.grdp_current_bn_vnd]\nvalue = 306000", "[base.grdp_current_bn_vnd]\nvalue = 1e300",
     "base.grdp_current_bn_vnd.value", "larger than 1e+12"),
    ("[base.population_persons]\nvalue = 3223088", "[base.population_persons]\nvalue = 0",
     "base.population_persons.value", "greater than 0"),
    ("[base.grdp_current_bn_vnd]\nvalue = 306000", "[base.grdp_current_bn_vnd]\nvalue = true",
     "base.grdp_current_bn_vnd.value", "valid number"),
    ("[base.grdp_current_bn_vnd]\nvalue = 306000", "[base.grdp_current_bn_vnd]\nvalue = \"306000\"",
     "base.grdp_current_bn_vnd.value", "valid number"),
    # the core reads one base value on every path: an se would have been ignored, silently
    ("[base.emp_share_agri]\n", "[base.emp_share_agri]\nse = 0.05\n", "base.emp_share_agri.se", "one number on every path"),
])
def test_bad_values_in_the_calibration_file(capsys, project, old, new, key, fragment):
    _edit(project / "calibration" / "parameters.toml", old, new)
    assert_cli_fails(capsys, [str(project / "scenarios" / "base.toml"), *SMALL], "parameters.toml", key, fragment)


@pytest.mark.parametrize("se, fragment", [("inf", "finite"), ("1e300", "half the allowed range"), ("nan", "finite"),
                                          ("-0.1", "greater than or equal to 0")])
def test_an_absurd_standard_error_is_refused(capsys, project, se, fragment):
    """A huge se made every draw land on a bound and moved P(1c) from 0.11 to 0.34."""
    path = project / "calibration" / "parameters.toml"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("[parameters.production.capital_share]\n", 1)
    rest = re.sub(r"^se = .*$", f"se = {se}", rest, count=1, flags=re.M)
    path.write_text(head + "[parameters.production.capital_share]\n" + rest, encoding="utf-8")
    assert_cli_fails(capsys, [str(project / "scenarios" / "base.toml"), *SMALL],
                     "parameters.toml", "parameters.production.capital_share.se", fragment)


def test_a_nan_correlation_is_refused(capsys, project):
    path = project / "calibration" / "parameters.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^rho = .*$", "rho = nan", text, count=1, flags=re.M), encoding="utf-8")
    assert_cli_fails(capsys, [str(project / "scenarios" / "base.toml"), *SMALL], "correlations[0].rho", "finite")


@pytest.mark.parametrize("df", ["0.5", "1", "2"])
def test_student_t_without_variance_blames_set(capsys, df):
    assert_cli_fails(capsys, ["scenarios/base.toml", *SMALL, "--set", f"parameters.shocks.student_t_df={df}"],
                     "in --set", "parameters.shocks.student_t_df", "finite variance only above 2")


def test_shares_overridden_on_the_command_line_are_blamed_on_set(capsys):
    assert_cli_fails(capsys, ["scenarios/base.toml", *SMALL, "--set", "base.share_agri=0.5"],
                     "in --set", "base.share_agri", "sum to")


def test_a_zero_base_population_from_the_command_line(capsys):
    assert_cli_fails(capsys, ["scenarios/base.toml", *SMALL, "--set", "base.population_persons=0"],
                     "in --set", "base.population_persons", "greater than 0")


# ---------------------------------------------------------------- scenario values


@pytest.mark.parametrize("setting, fragment", [
    ("priors.5-pci.alpha=inf", "finite"), ("priors.5-pci.alpha=1e308", "less than or equal to 10000"),
    ("priors.5-pci.beta=0", "greater than 0"), ("levers.tfp_growth_boost=true", "expected a number"),
    ('levers.tfp_growth_boost="0.01"', "expected a number"), ('montecarlo.parameter_uncertainty="yes"', "boolean"),
    ("montecarlo.volatility_scale=true", "valid number"), ("scenario.name=..", "dots only"),
    ('scenario.name="."', "dots only"), ("scenario.horizon=2200", "more than 100 years"),
    ("montecarlo.seed=-5", "greater than or equal to 0"),
    # keys that start with '-' or hold one: argparse read the first as an option, and the key
    # guess dropped any part with a '-' as a pydantic type tag (the slow fuzz's `--set -=0.0`)
    ("-=0.0", "unknown key"), ("levers.tfp-boost=0.01", "unknown key"), ("-x=1", "unknown key"),
])
def test_bad_scenario_values_from_set(capsys, setting, fragment):
    key = setting.split("=")[0]
    assert_cli_fails(capsys, ["scenarios/base.toml", *SMALL, "--set", setting], "in --set", key, fragment)


@pytest.mark.parametrize("body, flag, key", [
    ("[montecarlo]\npaths = -1\n", ["--paths", "300"], "montecarlo.paths"),
    ("[montecarlo]\npaths = nan\n", ["--paths", "300"], "montecarlo.paths"),
    ("[montecarlo]\npaths = {x = 1}\n", ["--paths", "300"], "montecarlo.paths"),
    ("[montecarlo]\nseed = -5\n", ["--seed", "1"], "montecarlo.seed"),
    ("[levers]\ntfp_growth_boost = \"yes\"\n", ["--set", "levers.tfp_growth_boost=0.01"], "levers.tfp_growth_boost"),
])
def test_a_flag_does_not_hide_a_bad_value_in_the_file(capsys, write_scenario, body, flag, key):
    path = write_scenario(body)
    assert_cli_fails(capsys, [str(path), "--no-write", *flag], "variant.toml", key)


@pytest.mark.parametrize("setting, flag", [
    ("montecarlo.paths=-1", ["--paths", "300"]), ("montecarlo.paths=nan", ["--paths", "300"]),
    ("montecarlo.seed=-5", ["--seed", "1"]), ("montecarlo.chunk_size=-5", ["--chunk-size", "100"]),
])
def test_a_flag_does_not_hide_a_bad_value_from_set(capsys, setting, flag):
    """The flag wins over --set, but the --set value is checked first (it ran, exit 0, before)."""
    assert_cli_fails(capsys, ["scenarios/base.toml", "--no-write", "--set", setting, *flag], "in --set",
                     setting.split("=")[0])


@pytest.mark.parametrize("argv", [
    ["scenarios/base.toml", "--workers", "0"], ["scenarios/base.toml", "--workers", "-1"],
    ["solve", "scenarios/base.toml", "--target", "1c", "--lever", "investment_share", "--workers", "0"],
    ["sensitivity", "scenarios/base.toml", "--workers", "0"],
])
def test_no_worker_count_below_one(capsys, argv):
    assert_cli_fails(capsys, [*argv, "--paths", "200", "--no-write"], "--workers", "expected a positive number")


def test_targets_outside_the_group_are_refused_not_an_empty_table(capsys):
    assert_cli_fails(capsys, ["scenarios/base.toml", *SMALL, "--targets", "9", "--group", "economy"], "--targets",
                     "none of 9 is in the group 'economy'")


def test_every_planning_command_takes_allow_outside():
    from simulator.cli import build_parser

    parser = build_parser()
    for command in ("compare", "solve", "audit", "update", "sensitivity", "report"):
        extra = {"compare": ["a.toml", "b.toml"], "update": ["a.toml", "--observed", "o.csv"],
                 "solve": ["a.toml", "--target", "1c", "--lever", "investment_share"]}.get(command, ["a.toml"])
        assert parser.parse_args([command, *extra, "--allow-outside"]).allow_outside


def test_a_closed_stdout_ends_the_command_quietly_and_the_files_are_still_written(tmp_path):
    """`simulate FILE --format json | head -c 1`: the reader leaves early; no 'Broken pipe' error,
    and the results folder is written all the same."""
    out = tmp_path / "results"
    with subprocess.Popen([sys.executable, "-m", "simulator", "scenarios/base.toml", "--paths", "300", "--out", str(out),
                           "--format", "json"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.close()  # before the command writes its ~450 kB
        err = process.stderr.read().decode()
        status = process.wait(timeout=120)
    assert status == 141 and err == "", (status, err)
    assert (out / "results.json").stat().st_size > 0 and (out / "targets.csv").exists()


def test_a_valid_file_with_overrides_still_runs(capsys, write_scenario):
    path = write_scenario("[montecarlo]\npaths = 100\n")
    assert main([str(path), "--paths", "300", "--seed", "3", "--no-write", "--quiet"]) == 0
    assert "300 paths, seed 3" in capsys.readouterr().out


# ---------------------------------------------------------------- files that cannot be read


@pytest.mark.parametrize("content, fragment", [
    (b"\xff\xfe" + "[scenario]".encode("utf-16-le"), "UTF-16"),
    ("[scenario]\nname = 'Cần Thơ'\n".encode("latin-1", errors="replace"), None),
    ("[scenario]\ntitle = 'Cần Thơ'\n".encode("cp1258", errors="replace") + b"\xe9", "not UTF-8 text"),
    (b"\xef\xbb\xbf[scenario]\n", "byte-order mark"),
    (bytes(range(256)), "not UTF-8 text"),
    (b"[scenario]\x00\n", "NUL"),
    (("a = " + "[" * 5000 + "]" * 5000 + "\n").encode(), "nested too deeply"),
    (("[" + ".".join(["t"] * 40) + "]\n").encode(), "nested too deeply"),
])
def test_unreadable_scenario_files(capsys, project, content, fragment):
    path = project / "scenarios" / "bad.toml"
    path.write_bytes(content)
    err = assert_cli_fails(capsys, [str(path), *SMALL], "bad.toml")
    if fragment:
        assert fragment in err


def test_a_huge_scenario_file_is_refused_before_reading(capsys, project):
    path = project / "scenarios" / "huge.toml"
    with path.open("wb") as fh:
        fh.truncate(50_000_000)  # 50 MB (sparse: nothing to parse would be quick to refuse otherwise)
    started = time.perf_counter()
    assert_cli_fails(capsys, [str(path), *SMALL], "huge.toml", "more than the limit of 1,000,000")
    assert time.perf_counter() - started < 2.0


def test_a_symlink_loop(capsys, project):
    a, b = project / "scenarios" / "a.toml", project / "scenarios" / "b.toml"
    a.symlink_to(b)
    b.symlink_to(a)
    assert_cli_fails(capsys, [str(a), *SMALL], "a.toml", "symbolic link loop")


def test_a_folder_given_as_scenario(capsys, project):
    assert_cli_fails(capsys, [str(project / "scenarios"), *SMALL], "scenarios", "found a folder")


def test_a_long_extends_chain_is_cut_at_50(capsys, project):
    folder = project / "scenarios"
    for i in range(1500):
        parent = f"c{i + 1}.toml" if i < 1499 else "base.toml"
        (folder / f"c{i}.toml").write_text(f'extends = "{parent}"\n', encoding="utf-8")
    assert_cli_fails(capsys, [str(folder / "c0.toml"), *SMALL], "c49.toml", "'extends' chain is longer than 50")
    (folder / "c45.toml").write_text('extends = "base.toml"\n', encoding="utf-8")  # 46 files + base: fine
    assert main([str(folder / "c0.toml"), *SMALL, "--quiet"]) == 0


def test_a_missing_extended_file_is_blamed_on_the_file_that_names_it(capsys, project):
    child = project / "scenarios" / "child.toml"
    child.write_text('extends = "nothere.toml"\n', encoding="utf-8")
    err = assert_cli_fails(capsys, [str(child), *SMALL], "child.toml", "'extends'", "'nothere.toml' does not exist")
    assert err.index("child.toml") < err.index("nothere.toml")


def test_a_misspelt_command_is_named_not_read_as_a_file(capsys):
    assert_cli_fails(capsys, ["rn", "scenarios/base.toml"], "unknown command 'rn'", "did you mean 'run'")
    assert_cli_fails(capsys, ["sensitivty", "scenarios/base.toml"], "did you mean 'sensitivity'")


@pytest.mark.parametrize("flag", [["--samples", "16"], ["--sensitivity-paths", "0"], ["--targets", "1c"],
                                  ["--lever", "investment_share=0.3:0.4"]])
def test_report_refuses_sensitivity_options_without_sensitivity(capsys, flag):
    assert_cli_fails(capsys, ["report", "scenarios/base.toml", "--paths", "100000000", "--no-write", *flag], flag[0],
                     "add --sensitivity")


# ---------------------------------------------------------------- the project tree


def test_extends_outside_the_project_is_refused_unless_allowed(capsys, tmp_path):
    path = tmp_path / "outside.toml"
    path.write_text(f'extends = "{(REPO / "scenarios" / "base.toml").as_posix()}"\n', encoding="utf-8")
    assert_cli_fails(capsys, [str(path), *SMALL], "outside.toml", "extends", "outside the project tree")
    assert main([str(path), *SMALL, "--allow-outside", "--quiet"]) == 0


def test_a_calibration_path_outside_the_project_is_refused(capsys, write_scenario, tmp_path_factory):
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.toml"
    secret.write_text("x = 1\n", encoding="utf-8")
    path = write_scenario(f'[scenario]\ncalibration = "{secret.as_posix()}"\n')
    assert_cli_fails(capsys, [str(path), *SMALL], "variant.toml", "scenario.calibration", "outside the project tree")
    assert_cli_fails(capsys, ["scenarios/base.toml", *SMALL, "--set", f"scenario.calibration={secret}"],
                     "in --set", "outside the project tree")


def test_a_symbolic_link_cannot_lead_out_of_the_project(capsys, project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "base.toml").write_bytes((project / "scenarios" / "base.toml").read_bytes())
    (project / "scenarios" / "link.toml").symlink_to(outside / "base.toml")
    path = project / "scenarios" / "variant.toml"
    path.write_text('extends = "link.toml"\n', encoding="utf-8")
    assert_cli_fails(capsys, [str(path), *SMALL], "variant.toml", "outside the project tree")


def test_calibrate_config_paths_are_confined(capsys, tmp_path):
    folder = tmp_path / "calibration"
    (folder / "data").mkdir(parents=True)
    for name in ("calibrate.toml", "priors.toml", "data/observations.csv"):
        (folder / name).write_bytes((REPO / "calibration" / name).read_bytes())
    _edit(folder / "calibrate.toml", 'parameters = "parameters.toml"', 'parameters = "../../parameters.toml"')
    assert_cli_fails(capsys, ["calibrate", str(folder / "calibrate.toml")], "calibrate.toml", "output.parameters",
                     "outside the project tree")


# ---------------------------------------------------------------- priors.toml and data rows


def _calibration_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "calibration"
    (folder / "data").mkdir(parents=True)
    for name in ("calibrate.toml", "priors.toml", "data/observations.csv"):
        (folder / name).write_bytes((REPO / "calibration" / name).read_bytes())
    return folder


@pytest.mark.parametrize("old, new, key, fragment", [
    ("[parameters.production.depreciation_rate]\nvalue = 0.05", "[parameters.production.depreciation_rate]\nvalue = true",
     "parameters.production.depreciation_rate.value", "valid number"),
    ("[parameters.production.depreciation_rate]\n", "[parameters.production.depreciation_rate]\nse = 1e300\n",
     "parameters.production.depreciation_rate.se", "half the allowed range"),
    ("[parameters.production.depreciation_rate]\n", "[parameters.production.depreciation_rate]\nse = -0.01\n",
     "parameters.production.depreciation_rate.se", "greater than or equal to 0"),
    ("[base.urbanisation_rate]\nvalue = ", "[base.urbanisation_rate]\nvalue = 1.5 #",
     "base.urbanisation_rate.value", "outside the allowed range"),
])
def test_priors_are_checked_before_they_are_copied(capsys, tmp_path, old, new, key, fragment):
    folder = _calibration_copy(tmp_path)
    _edit(folder / "priors.toml", old, new)
    assert_cli_fails(capsys, ["calibrate", str(folder / "calibrate.toml")], "priors.toml", key, fragment)
    assert not (folder / "parameters.toml").exists()


def test_a_nan_prior_correlation_is_refused(capsys, tmp_path):
    folder = _calibration_copy(tmp_path)
    text = (folder / "priors.toml").read_text(encoding="utf-8")
    (folder / "priors.toml").write_text(re.sub(r"^rho = .*$", "rho = nan", text, count=1, flags=re.M), encoding="utf-8")
    assert_cli_fails(capsys, ["calibrate", str(folder / "calibrate.toml")], "priors.toml", "correlations[0].rho")


@pytest.mark.parametrize("old, new, fragment", [
    (",population_avg,1252350,", ",population_avg,-1252350,", "outside its plausible range"),
    (",population_avg,1252350,", ",population_avg,1252350000,", "outside its plausible range"),
    (",population_avg,1252350,", ",population_avg,0,", "outside its plausible range"),
    ("can_tho_old,2022,population_avg", "can_tho_old,3000,population_avg", "year 3000 is outside 1900–2100"),
    (",population_avg,1252350,persons", ",population_avg,1252350,pct", "does not fit indicator 'population_avg'"),
    ("can_tho_old,2022,population_avg", "can_tho_old,2022,populaton_avg", "Did you mean 'population_avg'"),
])
def test_impossible_data_rows_are_refused(capsys, tmp_path, old, new, fragment):
    """A negative population moved the population-growth sd from 0.0024 to 0.669 without a word."""
    folder = _calibration_copy(tmp_path)
    _edit(folder / "data" / "observations.csv", old, new)
    assert_cli_fails(capsys, ["calibrate", str(folder / "calibrate.toml")], "observations.csv, line", fragment)


def test_a_data_file_with_a_bom_gets_a_hint(capsys, tmp_path):
    folder = _calibration_copy(tmp_path)
    data = folder / "data" / "observations.csv"
    data.write_bytes(b"\xef\xbb\xbf" + data.read_bytes())
    assert_cli_fails(capsys, ["calibrate", str(folder / "calibrate.toml")], "observations.csv", "byte-order mark")


# ---------------------------------------------------------------- the process


def _simulate(*args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "simulator", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, **kwargs)


def test_ascii_terminal_prints_vietnamese_without_failing():
    done = _simulate("scenarios/base.toml", *SMALL, "--lang", "vi", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "?" in done.stdout


def test_python_dash_m_and_version():
    from simulator import __version__

    done = _simulate("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"simulate {__version__}"


def test_help_lists_every_subcommand_and_the_short_form():
    done = _simulate("--help")
    assert done.returncode == 0
    for command in ("run", "calibrate", "backtest"):
        assert re.search(rf"^\s+{command}\b", done.stdout, flags=re.M), done.stdout
    assert "simulate FILE" in done.stdout and "short for" in done.stdout


def test_argument_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        main(["scenarios/base.toml", "--paths", "many"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--paths" in err and "invalid int value" in err


def test_run_messages_follow_lang(capsys):
    assert main(["scenarios/base.toml", *SMALL, "--lang", "vi"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^Mô phỏng trong \d+,\d\d giây\.$", out, flags=re.M) and "lần mô phỏng" in out
    assert "Simulated in" not in out and "Outside view" not in out
    assert main(["scenarios/base.toml", *SMALL]) == 0
    assert re.search(r"^Simulated in \d+\.\d\d s\.$", capsys.readouterr().out, flags=re.M)


def test_a_nul_character_in_a_path_is_an_input_error(capsys, write_scenario):
    """extends = "\\x00" (the slow fuzz) had raised ValueError('embedded null byte') from the path
    library: now one line naming the file and key."""
    from conftest import assert_cli_fails

    path = write_scenario("", name="nul.toml")
    path.write_text('extends = "base\\u0000.toml"\n', encoding="utf-8")
    assert_cli_fails(capsys, [str(path), "--no-write"], "nul.toml", "extends", "NUL character")


@pytest.mark.parametrize("resamples", ["1", "39"])
def test_too_few_bootstrap_resamples_for_the_interval_are_refused(capsys, resamples):
    """A 95 % percentile interval needs a resample in each 2.5 % tail (40 at least): with fewer its
    ends are the extreme resamples, an interval of another confidence than the one printed."""
    assert_cli_fails(capsys, ["sensitivity", "scenarios/base.toml", "--targets", "1c", "--samples", "8", "--inner", "2",
                              "--paths", "200", "--resamples", resamples, "--no-write"],
                     "--resamples", "expected at least 40 resamples for a 95% interval")
