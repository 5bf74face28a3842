from pathlib import Path

import pytest

from simulator.cli import main
from simulator.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "base.toml"


@pytest.fixture(scope="session")
def base_scenario():
    """The shipped base scenario, loaded once (frozen: tests derive copies, never mutate it)."""
    return load_scenario(BASE)


@pytest.fixture
def write_scenario(tmp_path):
    """Make a scenario file in tmp_path that extends the shipped base scenario."""

    def write(body: str, name: str = "variant.toml") -> Path:
        path = tmp_path / name
        path.write_text(f'extends = "{BASE.as_posix()}"\n{body}', encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_registry(tmp_path):
    """Make a one-row target registry in tmp_path (the row's own keys after id, number, group, names)."""

    def write(row: str) -> Path:
        path = tmp_path / "reg.toml"
        path.write_text('[registry]\ntitle_en = "t"\ntitle_vi = "t"\nsource = "s"\nbase_year = 2025\ntarget_year = 2030\n'
                        '[group.economy]\nname_en = "economy"\nname_vi = "kinh tế"\n'
                        '[[target]]\nid = "1a"\nnumber = 1\ngroup = "economy"\nname_en = "n"\nname_vi = "n"\n' + row,
                        encoding="utf-8")
        return path

    return write


def assert_cli_fails(capsys, argv, *fragments) -> str:
    """The CLI exits with status 2 and one line on stderr, no traceback, holding every fragment."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().count("\n") == 0, err
    for fragment in fragments:
        assert fragment in err, err
    return err
