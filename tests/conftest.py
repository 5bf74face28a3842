import shutil
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


def copy_project(folder: Path) -> Path:
    """A copy of the shipped scenarios, calibration files and calibration data in ``folder`` (a project tree of its
    own, so that scenario files written there may extend the base scenario)."""
    for part in ("scenarios", "calibration"):
        (folder / part).mkdir(parents=True, exist_ok=True)
        for file in (REPO / part).glob("*.toml"):
            shutil.copy(file, folder / part / file.name)
    # the base scenario's outside view reads the provincial panel from calibration/data
    shutil.copytree(REPO / "calibration" / "data", folder / "calibration" / "data", dirs_exist_ok=True)
    return folder


@pytest.fixture
def project(tmp_path):
    """A copy of the shipped scenarios and calibration in tmp_path (see :func:`copy_project`)."""
    return copy_project(tmp_path)


@pytest.fixture
def write_scenario(project):
    """Make a scenario file in the project copy's scenarios/ that extends its base scenario."""

    def write(body: str, name: str = "variant.toml") -> Path:
        path = project / "scenarios" / name
        path.write_text(f'extends = "base.toml"\n{body}', encoding="utf-8")
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


def pytest_terminal_summary(terminalreporter):
    """The outcome counts of the fuzz cases run in this session (tests/test_fuzz.py)."""
    import sys

    fuzz = sys.modules.get("test_fuzz")
    if fuzz is None or not fuzz.OUTCOMES:
        return
    counts = fuzz.OUTCOMES
    total = sum(counts.values())
    by_family = {}
    for (family, status), n in sorted(counts.items()):
        by_family.setdefault(family, []).append(f"exit {status}: {n}")
    parts = "; ".join(f"{family} " + ", ".join(v) for family, v in by_family.items())
    terminalreporter.write_line(f"fuzz cases: {total} ({parts})")
