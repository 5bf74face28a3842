"""Bad input: exit status 2 and a one-paragraph message naming the file and key, no traceback."""

import pytest
from conftest import assert_cli_fails

from simulator.cli import main
from simulator.errors import InputError
from simulator.parameters import SHOCKS, correlation_matrix


def test_missing_file(capsys, tmp_path):
    assert_cli_fails(capsys, [str(tmp_path / "nope.toml"), "--no-write"], "nope.toml", "not found")


def test_toml_syntax_error(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nname = 'x'\n", encoding="utf-8")
    assert_cli_fails(capsys, [str(bad), "--no-write"], "bad.toml", "not valid TOML")


def test_unknown_key(capsys, write_scenario):
    path = write_scenario("[levers]\ninvestment_shar = 0.4\n")
    assert_cli_fails(capsys, [str(path), "--no-write"], "variant.toml", "levers.investment_shar", "unknown key")


def test_wrong_type(capsys, write_scenario):
    path = write_scenario('[montecarlo]\nseed = "abc"\n')
    assert_cli_fails(capsys, [str(path), "--no-write"], "variant.toml", "montecarlo.seed", "integer")


def test_negative_path_count(capsys):
    assert_cli_fails(capsys, ["scenarios/base.toml", "--paths", "-5", "--no-write"], "--paths", "positive")


def test_negative_path_count_in_file(capsys, write_scenario):
    path = write_scenario("[montecarlo]\npaths = -10\n")
    assert_cli_fails(capsys, [str(path), "--no-write"], "variant.toml", "montecarlo.paths", "greater than 0")


def test_share_above_one(capsys, write_scenario):
    path = write_scenario("[levers]\ninvestment_share = 1.5\n")
    assert_cli_fails(capsys, [str(path), "--no-write"], "variant.toml", "levers.investment_share", "must lie in [0.0, 1.0]")


def test_share_above_one_from_the_command_line(capsys):
    assert_cli_fails(capsys, ["scenarios/base.toml", "--set", "levers.investment_share=1.2", "--no-write"],
           "--set", "levers.investment_share")


def test_lever_list_of_wrong_length(capsys, write_scenario):
    path = write_scenario("[levers]\ninvestment_share = [0.3, 0.4]\n")
    assert_cli_fails(capsys, [str(path), "--no-write"], "levers.investment_share", "one per simulated year")


def test_unknown_parameter_override(capsys, write_scenario):
    path = write_scenario("[parameters.production]\ncapital_shar = 0.3\n")
    assert_cli_fails(capsys, [str(path), "--no-write"], "parameters.production.capital_shar", "capital_share")


def test_circular_extends(capsys, tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    assert_cli_fails(capsys, [str(tmp_path / "a.toml"), "--no-write"], "circular")


def test_correlation_not_positive_semidefinite():
    a, b, c = SHOCKS[:3]
    with pytest.raises(InputError, match="not positive semi-definite") as info:
        correlation_matrix([(a, b, 0.95), (b, c, 0.95), (a, c, -0.95)], file="cal.toml")
    assert "cal.toml" in str(info.value) and "correlations" in str(info.value)


def test_existing_outputs_survive_a_failed_run(capsys, tmp_path):
    out = tmp_path / "out"
    assert main(["scenarios/base.toml", "--paths", "1000", "--out", str(out)]) == 0
    before = (out / "results.json").read_bytes()
    capsys.readouterr()
    assert_cli_fails(capsys, ["scenarios/base.toml", "--set", "levers.investment_share=2", "--out", str(out), "--force"],
                     "investment_share")
    assert (out / "results.json").read_bytes() == before
