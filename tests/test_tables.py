"""The run's tables without pandas: the CSV writer gives pandas' bytes for every kind of column,
the outside view's source choice by hand, and a run that never loads pandas."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import BASE, REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import InputError
from simulator.outside_view import choose_rows, level_panel
from simulator.table import Table, column_kind

_TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\n'–é")), max_size=5)
_FLOAT = st.floats(allow_nan=True, allow_infinity=False, width=64) | st.sampled_from([1e16, 1e-5, -0.0, 0.1, 123456.789])
_CELLS = {
    "int": st.integers(-10**12, 10**12),
    "float": _FLOAT,
    "float or missing": _FLOAT | st.none(),
    "int or missing": st.integers(-100, 100) | st.none(),
    "bool": st.booleans(),
    "bool or missing": st.booleans() | st.none(),
    "text or missing": _TEXT | st.none(),
    "anything": st.integers(-5, 5) | _FLOAT | _TEXT | st.booleans() | st.none(),
}


@st.composite
def _columns(draw):
    rows = draw(st.integers(0, 6))
    kinds = draw(st.lists(st.sampled_from(sorted(_CELLS)), min_size=1, max_size=5))
    return {f"c{i}_{kind}": draw(st.lists(_CELLS[kind], min_size=rows, max_size=rows)) for i, kind in enumerate(kinds)}


@settings(max_examples=300, deadline=None)
@given(columns=_columns(), float_format=st.sampled_from([None, "%.6g", "%.4f"]))
def test_the_csv_of_a_table_is_the_csv_pandas_writes(columns, float_format):
    table = Table(columns)
    assert table.to_csv(float_format=float_format) == pd.DataFrame(columns).to_csv(index=False, float_format=float_format)
    if columns and len(table):
        ids = [f"r{i}" for i in range(len(table))]
        indexed = Table(columns, index=("id", ids))
        assert (indexed.to_csv(float_format=float_format)
                == pd.DataFrame(columns, index=ids).to_csv(index_label="id", float_format=float_format))


@settings(max_examples=100, deadline=None)
@given(columns=_columns())
def test_a_tables_frame_is_the_frame_of_its_columns(columns):
    pd.testing.assert_frame_equal(Table(columns).frame(), pd.DataFrame(columns))


def test_float_columns_are_floats_whatever_their_values():
    table = Table({"n": [1, None, 3], "p": [1, 2, 3]}, floats=("n", "p"))
    assert table.to_csv() == "n,p\n1.0,1.0\n,2.0\n3.0,3.0\n"
    assert [str(t) for t in table.frame().dtypes] == ["float64", "float64"]
    assert column_kind([1, None]) == "float" and column_kind([True, None]) == "object"


def test_the_run_tables_are_written_as_pandas_writes_them():
    import simulator

    result = simulator.run(BASE, paths=2000, seed=7)
    for name, options in (("targets", {}), ("series", {"float_format": "%.6g"}), ("groups", {"float_format": "%.6g"})):
        table = getattr(result, f"{name}_table")()
        assert table.to_csv(**options) == getattr(result, f"{name}_frame")().to_csv(index=False, **options), name
    for name, float_format in (("cohits", None), ("correlation", "%.4f")):
        table = getattr(result, f"{name}_table")()
        frame = pd.DataFrame(table.frame().to_numpy(), index=list(result.joint.ids), columns=list(result.joint.ids))
        assert table.to_csv(float_format=float_format) == frame.to_csv(index_label="id", float_format=float_format)


def test_a_run_of_the_command_never_loads_pandas(tmp_path):
    code = ("import contextlib, io, sys; from simulator.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    status = main([{str(BASE)!r}, '--paths', '500', '--out', {str(tmp_path / 'out')!r}])\n"
            "print(status, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.split() == ["0", "False"]
    assert (tmp_path / "out" / "targets.csv").is_file()



@pytest.mark.parametrize("argv, heavy", [
    (["compare", "scenarios/base.toml", "scenarios/variants/investment_40.toml", "--paths", "500"], "scipy.stats"),
    (["sensitivity", "scenarios/base.toml", "--targets", "1c", "--samples", "8", "--inner", "2", "--paths", "500",
      "--resamples", "40", "--quiet"], "matplotlib"),
])
def test_commands_load_only_what_they_use(tmp_path, argv, heavy):
    """compare needs one normal quantile, not scipy.stats (0.6 s); sensitivity writes tables, not charts."""
    code = ("import contextlib, io, sys; from simulator.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    status = main({[*argv, '--out', str(tmp_path / 'out')]!r})\n"
            f"print(status, {heavy!r} in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.split() == ["0", "False"]

def _row(source, vintage, *, secondary=False, value=1.0, region="a", year=2020, indicator="x"):
    return {"region": region, "year": year, "indicator": indicator, "value": value, "source": source,
            "vintage": vintage, "secondary": secondary, "note": ""}


def test_the_outside_views_source_choice_by_hand():
    rows = [_row("https://b.example", "2021-01-00", value=2.0),
            _row("https://a.example", "2021-01-00", value=1.0),                    # same date: the address decides
            _row("https://agg.example", "2024-00-00", value=3.0, secondary=True),  # newest, but an aggregator
            _row("https://old.example", "2019-00-00", value=4.0),
            _row("https://c.example", "2020-00-00", value=5.0, year=2019)]
    chosen = choose_rows(rows)
    assert [(r["year"], r["value"], r["n_sources"]) for r in chosen] == [(2019, 5.0, 1), (2020, 1.0, 4)]
    assert chosen[1]["rule"] == "primary source, latest page date"
    override = {"region": "a", "year": 2020, "indicator": "x", "source_contains": "agg", "reason": "the city's own"}
    chosen = choose_rows(rows, [override])
    assert (chosen[1]["value"], chosen[1]["rule"], chosen[1]["n_sources"]) == (3.0, "override: the city's own", 4)
    with pytest.raises(InputError, match="has a source containing 'nowhere'"):
        choose_rows(rows, [{**override, "source_contains": "nowhere"}])


def test_the_level_panel_drops_a_jump_and_refuses_a_missing_indicator():
    rows = [_row("s", "", region=r, year=y, value=v, indicator="level")
            for r, series in (("a", [100.0, 110.0, 1100.0, 121.0]), ("b", [50.0, 55.0, 60.0, 66.0]))
            for y, v in zip(range(2010, 2014), series)]
    levels, dropped = level_panel(rows, "level", max_abs_log_change=0.5)
    assert levels.regions == ("a", "b") and levels.years.tolist() == [2010, 2011, 2012, 2013]
    assert [(d["region"], d["year"]) for d in dropped] == [("a", 2012), ("a", 2013)]  # the jump up and back down
    assert np.isnan(levels.column("a")[2:]).all() and levels.column("b").tolist() == [50.0, 55.0, 60.0, 66.0]
    with pytest.raises(InputError, match="no row of indicator 'gdp'"):
        level_panel(rows, "gdp", max_abs_log_change=0.5)
