from pathlib import Path

import pytest

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
