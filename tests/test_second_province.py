"""A second province with no code change: examples/vinh_long/ runs on the engine as it is.

Everything specific to a province lives in its own files (scenario, registry, calibration data,
priors, calibration config); nothing in simulator/ names a province of the shipped calibration or
of the example.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

from simulator.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "vinh_long"
SCENARIO = EXAMPLE / "base.toml"
CONFIG = EXAMPLE / "calibration" / "calibrate.toml"
PACKAGE = REPO / "simulator"

# The place names the engine must never hold: the shipped calibration's city and former provinces,
# and the example's province. Matched after removing diacritics (đ → d), case-insensitively, with
# any run of spaces, underscores, hyphens or dots (or nothing) between the two syllables.
_PLACES = re.compile(r"(?<![a-z0-9])(?:can[\s_.\-]*tho|soc[\s_.\-]*trang|hau[\s_.\-]*giang|vinh[\s_.\-]*long)(?![a-z0-9])")


def _fold(text: str) -> str:
    """Lower case without diacritics: 'Cần Thơ' → 'can tho', 'Đ' → 'd'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def place_names(text: str) -> list[str]:
    """The place names in a text, folded ('Cần Thơ' → 'can tho')."""
    return [m.group(0) for m in _PLACES.finditer(_fold(text))]


@pytest.mark.parametrize("text", ["Cần Thơ", "CẦN THƠ", "Can Tho", "can_tho_merged", "CanTho", "Sóc Trăng",
                                  "soc_trang", "Hậu Giang", "HAU-GIANG", "Vĩnh Long", "vinh_long", "VinhLong"])
def test_the_matcher_finds_every_spelling(text):
    assert place_names(f"x = '{text}'"), text


@pytest.mark.parametrize("text", ["scan thorough", "canthology", "provincial long run", "a soc-trangle"])
def test_the_matcher_ignores_other_words(text):
    assert not place_names(text), text


def names_in(folder: Path) -> list[str]:
    """'file:line: names' for every line of every file under a folder that names a place
    (compiled caches excepted: they are built from the sources searched)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            names = place_names(line)
            if names:
                found.append(f"{path.relative_to(folder.parent)}:{number}: {', '.join(names)}")
    return found


def test_the_scan_reports_file_and_line(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "ok.py").write_text("x = 1\n", encoding="utf-8")
    (package / "sub" / "labels.toml").write_text("a = 1\nregion = 'Tỉnh Hậu Giang'\n", encoding="utf-8")
    assert names_in(package) == ["pkg/sub/labels.toml:2: hau giang"]


def test_engine_names_no_province():
    """No file of simulator/ (sources, labels, data) names Cần Thơ, Sóc Trăng, Hậu Giang or Vĩnh
    Long in any spelling."""
    assert sum(1 for p in PACKAGE.rglob("*.py")) > 20  # the package is there
    found = names_in(PACKAGE)
    assert not found, "place names in simulator/:\n" + "\n".join(found)


def test_second_province_runs_from_anywhere(capsys, tmp_path, monkeypatch):
    """`simulate examples/vinh_long/base.toml --paths 2000 --no-write` exits 0 and prints a row for
    every target of its registry; paths in the file are relative to the file, not the folder the
    command runs in."""
    monkeypatch.chdir(tmp_path)
    assert main([str(SCENARIO), "--paths", "2000", "--no-write"]) == 0
    out = capsys.readouterr().out
    assert "Vĩnh Long" in out.splitlines()[0]
    registry = tomllib.loads((EXAMPLE / "targets_2030.toml").read_text(encoding="utf-8"))
    ids = [row["id"] for row in registry["target"]]
    assert len(ids) >= 6
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()}
    for target_id in ids:
        assert target_id in rows, f"no row for target {target_id}:\n{out}"
        assert re.search(r"\b\d\.\d{3}\b", rows[target_id]), rows[target_id]  # a P(hit)
    assert not list(tmp_path.iterdir())  # --no-write wrote nothing


def test_registry_covers_the_published_headline_targets():
    """Growth, GRDP and per capita are in the registry as simulated rows (the structure and
    population targets are not public: the registry says so)."""
    registry = tomllib.loads((EXAMPLE / "targets_2030.toml").read_text(encoding="utf-8"))
    modelled = {row["metric"] for row in registry["target"] if row.get("method") == "model"}
    assert {"grdp_real_bn_vnd", "grdp_current_bn_vnd", "grdp_per_capita_mvnd"} <= modelled
    source = registry["registry"]["source"]
    assert "structure" in source and "population" in source  # says which targets are not public


def test_second_province_calibration_is_up_to_date(capsys):
    """`simulate calibrate examples/vinh_long/calibration/calibrate.toml --check`: the committed
    parameters.toml is what the example's data and priors give."""
    assert main(["calibrate", str(CONFIG), "--check"]) == 0, capsys.readouterr().out
