"""examples/fan_chart.py: a fan chart from the API, or a clear word when matplotlib is missing."""

import importlib.util
import sys

import pytest

from conftest import REPO


def _example():
    spec = importlib.util.spec_from_file_location("fan_chart", REPO / "examples" / "fan_chart.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fan_chart_draws_or_says_what_is_missing(tmp_path, capsys):
    out = tmp_path / "fan.png"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert _example().main(["--paths", "500", "--out", str(out)]) == 2
        assert "pip install -e '.[plots]'" in capsys.readouterr().err
    else:
        assert _example().main(["--paths", "500", "--out", str(out)]) == 0
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fan_chart_without_matplotlib(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as on a machine without the extra
    assert _example().main(["--paths", "500", "--out", str(tmp_path / "fan.png")]) == 2
    assert "matplotlib is not installed" in capsys.readouterr().err
    assert not (tmp_path / "fan.png").exists()


def test_fan_chart_names_an_unknown_metric(tmp_path, capsys):
    pytest.importorskip("matplotlib")  # the metric is checked after the import
    assert _example().main(["no_such_series", "--paths", "500", "--out", str(tmp_path / "fan.png")]) == 2
    assert "unknown metric 'no_such_series'" in capsys.readouterr().err
