"""Fuzzing the inputs: scenario files, calibration files, the registry, priors and data rows,
the outside-view config, the calibration config and its backtest tables, published values for
``simulate update`` (these three in the slow run only), encodings, ``extends`` cycles and chains.

Every case runs the command line in-process on its own copy of the project and must end with
exit status 0 or 2, within a minute and without a numerical warning: on 2, one line naming the
file (and ``--set`` where the value came from it), never a traceback; on 0, JSON output without
NaN or infinity and a P(hit) in [0, 1] for every evaluated target. A few hundred cases run in the default suite; the ``slow`` run (``-m slow``) runs more
than 11,000. The counts are printed at the end of the session (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import math
import re
import tempfile
import time
import tomllib
import warnings
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, copy_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.cli import main
from simulator.parameters import load_calibration

#: Outcome counts per fuzz family, printed by tests/conftest.py at the end of the session.
OUTCOMES: Counter = Counter()

PATHS = "200"

# ---------------------------------------------------------------- TOML writing


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes, and DEL escaped too (JSON leaves it, TOML forbids it raw)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(key: str) -> str:
    return _string(str(key))


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def dump_toml(data: dict) -> str:
    """TOML text of ``data``: every table inline (NaN and infinity written as TOML has them)."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items())


# ---------------------------------------------------------------- nasty values

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789-ếơ.", min_size=1, max_size=12)
SPECIAL_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 1e300, 1e15, 1e12, -1e12, 0, 0.0,
                                   -0.0, -1, -5, 0.5, 1, 1.0, 1.5, 2, 2.0, 3, 100, 1900, 2030, 2200, 3000,
                                   2**63 - 1, -(2**63), 5e-324])
SPECIAL_TEXT = st.sampled_from(["", "yes", "true", "0.4", "nan", "inf", "historical", ".", "..", "../../../etc/passwd",
                                "/etc/passwd", "base.toml", "x" * 5000, "Cần Thơ", "\u0000", "\n", "a\tb", "🎲"])
SCALARS = st.one_of(SPECIAL_NUMBERS, SPECIAL_TEXT, st.booleans(),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(min_value=-(2**63), max_value=2**63 - 1),
                    st.text(max_size=20), st.just(datetime(1979, 5, 27, 7, 32)), st.just(date(2030, 1, 1)))
NASTY = st.one_of(SCALARS, st.lists(SCALARS, max_size=8), st.dictionaries(NAMES, SCALARS, max_size=3),
                  st.lists(st.dictionaries(NAMES, SCALARS, max_size=2), max_size=2))
#: Values of the right shape, most of them admissible: the cases that must run and write no NaN.
PLAUSIBLE = st.one_of(st.floats(0.0, 1.0), st.floats(-0.05, 0.05), st.integers(1, 5000), st.booleans(),
                      st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5), st.just("historical"),
                      st.sampled_from([2026, 2030, 2031, 2040, 0.0, 3.0, 4.0, 10.0, 0.35, 0.999]))
VALUES = st.one_of(PLAUSIBLE, NASTY)

# ---------------------------------------------------------------- running a case

ERROR = re.compile(r"^simulate: error: in (\S.*?)(?: at key '([^']*)')?: \S")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        status = main(argv)
    assert time.monotonic() - started < 60, f"case took {time.monotonic() - started:.0f} s: {argv}"
    numeric = [str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)]
    assert not numeric, f"numerical warnings (an overflow, a NaN on the way): {numeric}"
    return status, out.getvalue(), err.getvalue()


def _reject_constant(name):
    raise AssertionError(f"{name} in the JSON output")


def check_outcome(family: str, status: int, out: str, err: str, *, key: str | None = None,
                  via_set: bool = False, json_out: bool = True) -> None:
    """The contract of every case (module docstring)."""
    OUTCOMES[(family, status)] += 1
    assert status in (0, 2), f"exit status {status}: {err}"
    assert "Traceback" not in err and "Traceback" not in out, err
    if status == 2:
        message = err.strip()
        assert message and "\n" not in message, f"not one line: {err!r}"
        match = ERROR.match(message)
        assert match, f"does not name a file: {message}"
        if key is not None and match.group(2) and match.group(2).startswith(key) and via_set:
            assert match.group(1) == "--set", f"a --set value blamed on a file: {message}"
        return
    if json_out:
        payload = json.loads(out, parse_constant=_reject_constant)
        for row in payload["targets"]:
            if row["method"] in ("model", "trend", "prior"):
                assert 0.0 <= row["p_hit"] <= 1.0, row


def fresh_project(stack: contextlib.ExitStack) -> Path:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fuzz-")))
    return copy_project(folder)


_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
           HealthCheck.filter_too_much]
#: The default suite: the same cases on every run (derandomized), a few hundred in all.
FUZZ = settings(deadline=None, suppress_health_check=_CHECKS, database=None, derandomize=True)
#: The slow run (-m slow): new random cases every time, more than 10,000 in all.
SLOW = settings(deadline=None, suppress_health_check=_CHECKS, database=None, derandomize=False)

# ---------------------------------------------------------------- scenario files

LEVERS = ("investment_share", "investment_realisation", "tfp_growth_boost", "employment_ratio_boost",
          "net_migration_boost", "trained_share_boost", "export_growth_boost", "revenue_ratio_boost")
SCENARIO_KEYS = ([("scenario", k) for k in ("name", "title", "description", "horizon", "calibration", "targets",
                                             "satellites")]
                 + [("levers", k) for k in LEVERS]
                 + [("montecarlo", k) for k in ("paths", "seed", "block_size", "chunk_size", "parameter_uncertainty",
                                                "volatility_scale")]
                 + [("target_options", "approx_tolerance"), ("target_options", "prior_correlation"),
                    ("target_options", "approx_tolerance_by_target", "2-growth"),
                    ("target_options", "approx_tolerance_by_target", "1a"),
                    ("base", "population_persons"), ("base", "grdp_current_bn_vnd"), ("base", "share_agri"),
                    ("base", "usd_vnd"), ("satellite_base", "poverty_rate"), ("satellite_base", "doctors_per_10k"),
                    ("parameters", "production", "capital_share"), ("parameters", "shocks", "student_t_df"),
                    ("parameters", "production", "capital_output_ratio"), ("parameters", "prices", "fx_depreciation_sd"),
                    ("satellite_parameters", "poverty", "drift"), ("satellite_parameters", "housing", "completions_mean"),
                    ("priors", "5-pci", "alpha"), ("priors", "5-pci", "beta"), ("priors", "5-pci", "probability"),
                    ("priors", "5-pci", "reason"), ("priors", "16", "probability"), ("priors", "1a", "probability"),
                    ("extends",), ("source_file",), ("origins",)])
SECTIONS = ("", "scenario", "levers", "montecarlo", "target_options", "base", "parameters", "parameters.production",
            "satellite_parameters", "priors", "priors.5-pci")


def _unit(low: float, high: float):
    return st.floats(low, high, allow_nan=False)


#: Admissible-looking values per scenario key (by the key's last part), so that many cases run.
PLAUSIBLE_BY_KEY = {
    "name": st.from_regex(r"\A[A-Za-z0-9_.-]{1,20}\Z"), "title": st.text(max_size=40),
    "description": st.text(max_size=40), "horizon": st.integers(2026, 2130),
    "calibration": st.sampled_from(["../calibration/parameters.toml", "../calibration/satellites.toml", "nope.toml"]),
    "satellites": st.sampled_from(["../calibration/satellites.toml", "../calibration/parameters.toml"]),
    "targets": st.sampled_from(["targets_2030.toml", "base.toml"]),
    "investment_share": st.one_of(_unit(0, 1), st.just("historical"), st.lists(_unit(0, 1), min_size=5, max_size=5)),
    "investment_realisation": st.one_of(_unit(0, 1.5), st.lists(_unit(0, 1.5), min_size=5, max_size=5)),
    "paths": st.integers(1, 500), "seed": st.integers(0, 2**32), "block_size": st.integers(1, 10_000),
    "chunk_size": st.integers(1, 100_000), "parameter_uncertainty": st.booleans(), "volatility_scale": _unit(0, 3),
    "approx_tolerance": _unit(0, 0.5), "prior_correlation": _unit(0, 0.99), "2-growth": _unit(0, 0.5),
    "1a": _unit(0, 0.5), "population_persons": _unit(1e5, 1e7), "grdp_current_bn_vnd": _unit(1e4, 1e7),
    "share_agri": _unit(0, 1), "usd_vnd": _unit(1e4, 5e4), "poverty_rate": _unit(0, 0.3),
    "doctors_per_10k": _unit(1, 50), "capital_share": _unit(0.05, 0.95),
    "student_t_df": st.sampled_from([0.0, 2.5, 4.0, 10.0, 100.0, 1000.0]), "fx_depreciation_sd": _unit(0, 0.2),
    "drift": _unit(-0.3, 0.3), "completions_mean": _unit(0, 10_000), "alpha": _unit(0.1, 100),
    "beta": _unit(0.1, 100), "probability": _unit(0, 1), "reason": st.text(min_size=1, max_size=20),
}
BOOSTS = st.one_of(_unit(-0.05, 0.05), st.lists(_unit(-0.05, 0.05), min_size=5, max_size=5))


def value_for(draw, path: tuple):
    """One of the shape the key takes (two cases in three) or a nasty value; the choice is drawn
    as an integer so that hypothesis' preference for simple draws keeps both kinds frequent."""
    plausible = PLAUSIBLE_BY_KEY.get(path[-1], BOOSTS if path[-1].endswith("_boost") else PLAUSIBLE)
    return draw(plausible if draw(st.integers(0, 2)) < 2 else NASTY)


@st.composite
def scenario_case(draw):
    """(mutations [(key path, value)], via --set, byte mangling or None)."""
    mutations = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        if draw(st.integers(0, 4)) == 4:  # an unknown key at some level
            section = draw(st.sampled_from(SECTIONS))
            path = tuple(p for p in section.split(".") if p) + (draw(NAMES),)
        else:
            path = draw(st.sampled_from(SCENARIO_KEYS))
        mutations.append((path, value_for(draw, path)))
    via_set = draw(st.booleans())
    manglings = (None,) * 12 + ("utf-16", "latin-1", "bom", "truncate", "binary", "nul")
    mangle = manglings[draw(st.integers(0, len(manglings) - 1))]  # one case in three mangles the bytes
    cut = draw(st.floats(0.0, 1.0))
    return mutations, via_set, mangle, cut


def _nest(path: tuple, value) -> dict:
    out = value
    for part in reversed(path):
        out = {part: out}
    return out


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def run_scenario_case(case) -> None:
    mutations, via_set, mangle, cut = case
    with contextlib.ExitStack() as stack:
        project = fresh_project(stack)
        data = {"extends": "base.toml", "scenario": {"name": "fuzz", "title": "Cần Thơ fuzz"}}
        argv, key = [], None
        for path, value in mutations:
            key = ".".join(path)
            if via_set and not mangle:
                argv += ["--set", f"{key}={_value(value)}"]
            else:
                data = _merge(data, _nest(path, value))
        file = project / "scenarios" / "fuzz.toml"
        text = dump_toml(data)
        raw = text.encode("utf-8")
        if mangle == "utf-16":
            raw = text.encode("utf-16")
        elif mangle == "latin-1":
            raw = text.encode("latin-1", errors="replace")
        elif mangle == "bom":
            raw = b"\xef\xbb\xbf" + raw
        elif mangle == "truncate":
            raw = raw[:int(len(raw) * cut)]
        elif mangle == "binary":
            raw = bytes(range(256)) * 4
        elif mangle == "nul":
            raw = raw[:int(len(raw) * cut)] + b"\x00" + raw[int(len(raw) * cut):]
        file.write_bytes(raw)
        status, out, err = run_cli([str(file), "--paths", PATHS, "--no-write", "--format", "json", *argv])
        check_outcome("scenario", status, out, err, key=key if len(mutations) == 1 else None,
                      via_set=via_set and not mangle)


@settings(FUZZ, max_examples=100)
@given(scenario_case())
def test_fuzz_scenario_files(case):
    run_scenario_case(case)


@pytest.mark.slow
@settings(SLOW, max_examples=4000)
@given(scenario_case())
def test_fuzz_scenario_files_slow(case):
    run_scenario_case(case)


# ---------------------------------------------------------------- calibration files

CAL_FIELDS = ("value", "se", "unit", "source", "assumption", "note", "sample", "method")


@st.composite
def calibration_case(draw):
    which = draw(st.sampled_from(["parameters.toml", "satellites.toml"]))
    raw = tomllib.loads((REPO / "calibration" / which).read_text(encoding="utf-8"))
    kind = draw(st.sampled_from(["field", "field", "field", "drop", "extra_entry", "not_table", "meta", "section",
                                 "correlation"]))
    section = draw(st.sampled_from(["base", "parameters"]))
    if section == "base":
        name = draw(st.sampled_from(sorted(raw["base"])))
    else:
        block = draw(st.sampled_from(sorted(raw["parameters"])))
        name = draw(st.sampled_from(sorted(raw["parameters"][block])))
    field = draw(st.one_of(st.sampled_from(CAL_FIELDS), NAMES))
    # two cases in three: the entry's own number scaled (a plausible recalibration); else nasty
    value = Scaled(draw(st.floats(0.5, 1.5))) if draw(st.integers(0, 2)) < 2 else draw(VALUES)
    return which, kind, section, name, field, value, draw(st.integers(0, 10))


class Scaled(float):
    """A factor applied to the number it replaces (or to the entry's value, for a new se)."""


def _resolve_value(value, old, entry: dict | None = None):
    if not isinstance(value, Scaled):
        return value
    base = old if isinstance(old, (int, float)) and not isinstance(old, bool) else (entry or {}).get("value", 1.0)
    return float(base) * float(value) if isinstance(base, (int, float)) else float(value)


def _mutate_calibration(raw: dict, case) -> dict:
    which, kind, section, name, field, value, index = case
    container = raw["base"] if section == "base" else None
    if container is None:
        for block in raw["parameters"].values():
            if name in block:
                container = block
    if kind == "field":
        entry = container[name]
        if isinstance(value, Scaled) and field == "se":  # a plausible se: a share of the value
            value = abs(float(entry["value"])) * (float(value) - 0.5) / 2
        container[name] = dict(entry, **{field: _resolve_value(value, entry.get(field), entry)})
    elif kind == "drop":
        del container[name]
    elif kind == "extra_entry":
        container[field] = {"value": _resolve_value(value, 0.5), "unit": "share", "source": "x"}
    elif kind == "not_table":
        container[name] = _resolve_value(value, 1.0)
    elif kind == "meta":
        key = field if field in ("region", "base_year") else "base_year"
        raw["meta"] = dict(raw["meta"], **{key: _resolve_value(value, raw["meta"].get(key))})
    elif kind == "section":
        raw[field] = _resolve_value(value, 1.0)
    elif kind == "correlation" and raw.get("correlations"):
        pairs = raw["correlations"]
        pair = pairs[index % len(pairs)]
        key = field if field in ("a", "b", "rho", "source") else "rho"
        pair[key] = _resolve_value(value, pair.get(key))
    return raw


def run_calibration_case(case) -> None:
    which = case[0]
    with contextlib.ExitStack() as stack:
        project = fresh_project(stack)
        path = project / "calibration" / which
        raw = _mutate_calibration(tomllib.loads(path.read_text(encoding="utf-8")), case)
        path.write_text(dump_toml(raw), encoding="utf-8")
        status, out, err = run_cli([str(project / "scenarios" / "base.toml"), "--paths", PATHS, "--no-write",
                                    "--format", "json"])
        check_outcome("calibration", status, out, err)
        if status == 2 and case[1] in ("field", "not_table", "extra_entry"):
            assert which in err and "at key '" in err, err


@settings(FUZZ, max_examples=60)
@given(calibration_case())
def test_fuzz_calibration_files(case):
    run_calibration_case(case)


@pytest.mark.slow
@settings(SLOW, max_examples=2000)
@given(calibration_case())
def test_fuzz_calibration_files_slow(case):
    run_calibration_case(case)


# ---------------------------------------------------------------- the registry

TARGET_FIELDS = ("id", "number", "group", "name_en", "name_vi", "metric", "kind", "transform", "comparator",
                 "threshold", "thresholds", "unit", "unit_vi", "year", "period", "approx", "method", "note")
REGISTRY_ROWS = len(tomllib.loads((REPO / "scenarios" / "targets_2030.toml").read_text(encoding="utf-8"))["target"])


@st.composite
def registry_case(draw):
    kind = draw(st.sampled_from(["target", "target", "target", "registry", "group", "section", "duplicate"]))
    field = draw(st.one_of(st.sampled_from(TARGET_FIELDS), NAMES))
    value = Scaled(draw(st.floats(0.5, 1.5))) if draw(st.integers(0, 2)) < 2 else draw(VALUES)
    return kind, draw(st.integers(0, REGISTRY_ROWS - 1)), field, value


def run_registry_case(case) -> None:
    kind, row, field, value = case
    with contextlib.ExitStack() as stack:
        project = fresh_project(stack)
        path = project / "scenarios" / "targets_2030.toml"
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        if kind == "target":
            target = raw["target"][row]
            if isinstance(value, Scaled) and field not in ("threshold", "thresholds"):
                field = "threshold" if "threshold" in target else "thresholds"
            old = target.get(field)
            if isinstance(value, Scaled) and isinstance(old, list):
                value = [v * float(value) for v in old]
            target = dict(target, **{field: _resolve_value(value, old)})
            raw["target"][row] = target
        elif kind == "registry":
            key = field if field in ("base_year", "target_year") else "target_year"
            raw["registry"] = dict(raw["registry"], **{key: _resolve_value(value, raw["registry"][key])})
        elif kind == "group":
            raw["group"] = dict(raw["group"], **{"economy": value if field == "id" else {"name_en": value}})
        elif kind == "section":
            raw[field] = value
        else:
            raw["target"].append(dict(raw["target"][row]))
        path.write_text(dump_toml(raw), encoding="utf-8")
        status, out, err = run_cli([str(project / "scenarios" / "base.toml"), "--paths", PATHS, "--no-write",
                                    "--format", "json"])
        check_outcome("registry", status, out, err)


@settings(FUZZ, max_examples=50)
@given(registry_case())
def test_fuzz_registry(case):
    run_registry_case(case)


@pytest.mark.slow
@settings(SLOW, max_examples=1500)
@given(registry_case())
def test_fuzz_registry_slow(case):
    run_registry_case(case)


# ---------------------------------------------------------------- priors.toml and data rows

DATA = (REPO / "calibration" / "data" / "observations.csv").read_text(encoding="utf-8").splitlines()
NASTY_FIELDS = st.one_of(SPECIAL_TEXT, st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e308", "-1252350", "3000",
                                                        "1800", "12O5", "1,5", "persons", "pct", "\"", "a,b",
                                                        "1252350000", "0.0001"]),
                         st.text(max_size=12), st.integers(-10**9, 10**12).map(str))


@st.composite
def calibrate_case(draw):
    if draw(st.booleans()):
        return "data", draw(st.integers(1, len(DATA) - 1)), draw(st.integers(0, 7)), draw(NASTY_FIELDS), None
    return "priors", *draw(calibration_case().filter(lambda c: c[0] == "parameters.toml"))[1:]


def calibration_folder(stack: contextlib.ExitStack) -> Path:
    """A temporary calibration/ folder with the shipped calibrate.toml, priors.toml and data rows."""
    calibration = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fuzz-"))) / "calibration"
    (calibration / "data").mkdir(parents=True)
    for name in ("calibrate.toml", "priors.toml", "data/observations.csv"):
        (calibration / name).write_bytes((REPO / "calibration" / name).read_bytes())
    return calibration


def edit_key(raw: dict, key: tuple, action: str, value, new_name: str = "") -> None:
    """Set (or delete, or, for a table, add ``new_name`` to) the entry at a path of table names."""
    *parents, last = key
    table = raw
    for part in parents:
        table = table[part]
    if action == "delete":
        del table[last]
    elif action == "add" and isinstance(table.get(last), dict):
        table[last] = dict(table[last], **{new_name: value})
    else:
        table[last] = value


def run_calibrate_case(case) -> None:
    with contextlib.ExitStack() as stack:
        calibration = calibration_folder(stack)
        if case[0] == "data":
            _, line, column, text, _ = case
            fields = next(iter(csv.reader([DATA[line]])))
            fields[column] = text
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(fields)
            lines = DATA[:line] + [buffer.getvalue().rstrip("\n")] + DATA[line + 1:]
            (calibration / "data" / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            raw = tomllib.loads((calibration / "priors.toml").read_text(encoding="utf-8"))
            raw = _mutate_calibration(raw, ("parameters.toml", *case[1:]))
            (calibration / "priors.toml").write_text(dump_toml(raw), encoding="utf-8")
        status, out, err = run_cli(["calibrate", str(calibration / "calibrate.toml")])
        check_outcome(f"calibrate ({case[0]})", status, out, err, json_out=False)
        if status == 0:  # what was written is what simulate accepts
            load_calibration(calibration / "parameters.toml")


@settings(FUZZ, max_examples=40)
@given(calibrate_case())
def test_fuzz_priors_and_data_rows(case):
    run_calibrate_case(case)


@pytest.mark.slow
@settings(SLOW, max_examples=1500)
@given(calibrate_case())
def test_fuzz_priors_and_data_rows_slow(case):
    run_calibrate_case(case)


# ---------------------------------------------------------------- extends graphs


@st.composite
def extends_case(draw):
    n = draw(st.integers(1, 70))
    edges = [draw(st.one_of(st.integers(i + 1, n), st.integers(0, n), st.just(-1), st.just(-2))) for i in range(n)]
    return n, edges


def run_extends_case(case) -> None:
    n, edges = case
    with contextlib.ExitStack() as stack:
        project = fresh_project(stack)
        folder = project / "scenarios"
        for i, target in enumerate(edges):
            parent = {-1: "base.toml", -2: "../../outside.toml"}.get(target, f"f{target}.toml")
            if target == n:
                parent = "base.toml"
            (folder / f"f{i}.toml").write_text(f'extends = "{parent}"\n[montecarlo]\nseed = {i}\n', encoding="utf-8")
        status, out, err = run_cli([str(folder / "f0.toml"), "--paths", PATHS, "--no-write", "--format", "json"])
        check_outcome("extends", status, out, err)
        chain, seen, i = 0, set(), 0
        while i not in seen and 0 <= i < n:  # the expected outcome, walked by hand
            seen.add(i)
            chain += 1
            i = edges[i] if edges[i] != n else -1
        # the chain holds the fuzz files, then base.toml: at most 50 files in all
        if chain >= 50:
            expected = "longer than 50"
        elif i in seen:
            expected = "circular"
        elif i == -2:
            expected = "outside the project tree"
        else:
            expected = None
        if expected is None:
            assert status == 0, err
        else:
            assert status == 2 and expected in err, (expected, err)


@settings(FUZZ, max_examples=40)
@given(extends_case())
def test_fuzz_extends_chains_and_cycles(case):
    run_extends_case(case)


@pytest.mark.slow
@settings(SLOW, max_examples=1000)
@given(extends_case())
def test_fuzz_extends_chains_and_cycles_slow(case):
    run_extends_case(case)


# ---------------------------------------------------------------- the outside-view config

def _table_keys(table, prefix: tuple = ()):
    """Every key of a TOML document as a path of table names (array-of-tables entries by index)."""
    for key, value in (table.items() if isinstance(table, dict) else enumerate(table)):
        yield prefix + (key,)
        if isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
            yield from _table_keys(value, prefix + (key,))


OUTSIDE_VIEW = tomllib.loads((REPO / "calibration" / "outside_view.toml").read_text(encoding="utf-8"))
OUTSIDE_VIEW_KEYS = sorted(set(_table_keys(OUTSIDE_VIEW)), key=str)
#: Admissible-looking values by the key's last part, so that many cases run.
PLAUSIBLE_OUTSIDE = {
    "scale": st.one_of(st.floats(1e-6, 1e6), st.just(0.0), st.just(-1.0)),
    "model_weight": st.one_of(st.floats(0, 100), st.just(math.inf)), "prior_pseudo": st.floats(0, 5),
    "interval": st.floats(0, 1), "spell_years": st.integers(0, 12), "max_abs_log_change": st.floats(0, 5),
    "merger_year": st.integers(1990, 2040), "spans": st.lists(st.integers(0, 12), max_size=4),
    "regions": st.lists(st.sampled_from(["can_tho_old", "soc_trang", "hau_giang", "vinh_long", "nowhere", ""]),
                        max_size=4),
    "sum_of": st.lists(st.sampled_from(["can_tho_old", "soc_trang", "hau_giang", "nowhere"]), max_size=3),
    "required": st.sampled_from(["threshold", "level", "both"]),
    "base": st.sampled_from(["grdp_current_bn_vnd", "population_persons", "share_agri", "nope", ""]),
    "per": st.sampled_from(["population_persons", "grdp_current_bn_vnd", "nope", ""]),
    "offsets": st.lists(st.sampled_from(["prices.deflator_growth_mean", "demography.population_growth_mean",
                                         "production.capital_share", "nope"]), max_size=3),
    "reference_class": st.sampled_from(["mekong_delta", "own_units", "own_merged", "all_provinces", "nope"]),
}


@st.composite
def outside_view_case(draw):
    key = draw(st.sampled_from(OUTSIDE_VIEW_KEYS))
    action = draw(st.sampled_from(["set", "set", "set", "delete", "add"]))
    plausible = PLAUSIBLE_OUTSIDE.get(key[-1])
    value = draw(plausible if plausible is not None and draw(st.booleans()) else VALUES)
    return key, action, draw(NAMES), value


def run_outside_view_case(case) -> None:
    key, action, new_name, value = case
    with contextlib.ExitStack() as stack:
        project = fresh_project(stack)
        path = project / "calibration" / "outside_view.toml"
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        edit_key(raw, key, action, value, new_name)
        path.write_text(dump_toml(raw), encoding="utf-8")
        status, out, err = run_cli([str(project / "scenarios" / "base.toml"), "--paths", PATHS, "--no-write",
                                    "--format", "json"])
        check_outcome("outside view", status, out, err)


@settings(FUZZ, max_examples=60)
@given(outside_view_case())
def test_fuzz_outside_view_config(case):
    run_outside_view_case(case)


@pytest.mark.slow
@settings(SLOW, max_examples=1500)
@given(outside_view_case())
def test_fuzz_outside_view_config_slow(case):
    run_outside_view_case(case)


# ---------------------------------------------------------------- the calibration config

CALIBRATE = tomllib.loads((REPO / "calibration" / "calibrate.toml").read_text(encoding="utf-8"))


#: calibrate.toml's keys but the backtests' own tables (their family is below) and source choices
CALIBRATE_KEYS = sorted({k for k in _table_keys(CALIBRATE) if k[0] not in ("backtest", "target_backtest", "source_choice")},
                        key=str)
PLAUSIBLE_CALIBRATE = {
    "years": st.lists(st.integers(2000, 2030), min_size=2, max_size=2), "base_year": st.integers(2018, 2030),
    "regions": st.lists(st.sampled_from(["can_tho_old", "soc_trang", "hau_giang", "vietnam", "nowhere"]), max_size=3),
    "region": st.sampled_from(["can_tho_old", "soc_trang", "vietnam", "mekong_delta", "nowhere"]),
    "first": st.integers(2000, 2030), "last": st.integers(2000, 2030),
}


@st.composite
def calibrate_config_case(draw):
    key = draw(st.sampled_from(CALIBRATE_KEYS))
    plausible = PLAUSIBLE_CALIBRATE.get(key[-1])
    value = draw(plausible if plausible is not None and draw(st.booleans()) else VALUES)
    return key, draw(st.sampled_from(["set", "set", "delete"])), value


def run_calibrate_config_case(case) -> None:
    key, action, value = case
    with contextlib.ExitStack() as stack:
        calibration = calibration_folder(stack)
        raw = tomllib.loads((calibration / "calibrate.toml").read_text(encoding="utf-8"))
        edit_key(raw, key, action, value)
        (calibration / "calibrate.toml").write_text(dump_toml(raw), encoding="utf-8")
        status, out, err = run_cli(["calibrate", str(calibration / "calibrate.toml")])
        check_outcome("calibrate (config)", status, out, err, json_out=False)
        if status == 0:  # what was written is what simulate accepts
            load_calibration(calibration / "parameters.toml")


@pytest.mark.slow
@settings(SLOW, max_examples=200)
@given(calibrate_config_case())
def test_fuzz_calibration_config_slow(case):
    """calibrate.toml, key by key (about 5 s a case: the slow run only)."""
    run_calibrate_config_case(case)


# ---------------------------------------------------------------- the backtest tables of calibrate.toml

BACKTEST_KEYS = sorted({k for table in ("backtest", "target_backtest") for k in _table_keys(CALIBRATE[table], (table,))},
                       key=str)
PLAUSIBLE_BACKTEST = {
    "origins": st.lists(st.integers(2005, 2030), max_size=4), "horizon": st.integers(0, 12),
    "max_horizon": st.integers(0, 12), "paths": st.integers(1, 300), "min_years": st.integers(0, 12),
    "thresholds": st.lists(st.floats(-0.5, 0.5), max_size=3), "offsets": st.lists(st.floats(-0.05, 0.05), max_size=3),
    "reliability_bins": st.integers(0, 30), "unit_origins": st.lists(st.integers(2005, 2030), max_size=3),
    "event_spans": st.lists(st.integers(0, 8), max_size=3), "seed": st.integers(0, 2**32),
}


@st.composite
def backtest_config_case(draw):
    key = draw(st.sampled_from(BACKTEST_KEYS))
    plausible = PLAUSIBLE_BACKTEST.get(key[-1])
    value = draw(plausible if plausible is not None and draw(st.booleans()) else VALUES)
    return key, draw(st.sampled_from(["set", "set", "delete"])), value


def run_backtest_config_case(case) -> None:
    key, action, value = case
    with contextlib.ExitStack() as stack:
        project = fresh_project(stack)
        path = project / "calibration" / "calibrate.toml"
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        raw["backtest"]["paths"] = raw["target_backtest"]["paths"] = 200  # a case in seconds, unless the case sets it
        edit_key(raw, key, action, value)
        path.write_text(dump_toml(raw), encoding="utf-8")
        status, out, err = run_cli(["backtest", str(path), "--out", str(project / "bt")])
        check_outcome("backtest (config)", status, out, err, json_out=False)


@pytest.mark.slow
@settings(SLOW, max_examples=150)
@given(backtest_config_case())
def test_fuzz_backtest_config_slow(case):
    """[backtest] and [target_backtest], key by key (about 2 s a case: the slow run only)."""
    run_backtest_config_case(case)


# ---------------------------------------------------------------- published values (simulate update)

@functools.cache
def _median_paths() -> dict[str, np.ndarray]:
    """The base scenario's median path of every series (2,000 paths), around which values are published."""
    import simulator
    from simulator.results import SERIES_QUANTILES

    base = simulator.run(REPO / "scenarios" / "base.toml", paths=2000)
    return {m: q[:, SERIES_QUANTILES.index(0.5)] for m, q in base.series_quantiles.items()}


@st.composite
def published_case(draw):
    """One to three published values within a factor of two (levels), ±2 on the logit (shares) or
    ±5 points (rates) of the median path: most can be shown, some cannot, a few contradict each other."""
    from simulator.metrics import SERIES
    from simulator.nowcast import COUNT_SERIES

    medians = _median_paths()
    metrics = sorted(m for m in medians if m not in COUNT_SERIES)
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        metric, year, move = draw(st.sampled_from(metrics)), draw(st.integers(2026, 2030)), draw(st.floats(-1.0, 1.0))
        median, series = float(medians[metric][year - 2025]), SERIES[metric]
        if series.unit.endswith("/yr"):
            value = median + 0.05 * move
        elif series.unit == "share":
            p = min(max(median, 1e-6), 1 - 1e-6)
            value = 1.0 / (1.0 + math.exp(-(math.log(p / (1 - p)) + 2.0 * move)))
        elif series.scale == "log":
            value = median * math.exp(0.7 * move)
        else:
            value = median + 0.1 * move * (abs(median) + 1.0)
        rows.append(f"{year},{metric},{value!r},{series.unit},fuzz\n")
    return rows


def run_published_case(rows) -> None:
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fuzz-")))
        path = folder / "observed.csv"
        path.write_text("year,metric,value,unit,source\n" + "".join(rows), encoding="utf-8")
        status, out, err = run_cli(["update", str(REPO / "scenarios" / "base.toml"), "--observed", str(path),
                                    "--paths", "300", "--no-write", "--format", "json"])
        check_outcome("update (published values)", status, out, err, json_out=False)
        if status == 0:
            payload = json.loads(out, parse_constant=_reject_constant)
            for row in payload["targets"]:
                assert row["p_hit_after"] is None or 0.0 <= row["p_hit_after"] <= 1.0, row


@pytest.mark.slow
@settings(SLOW, max_examples=200)
@given(published_case())
def test_fuzz_published_values_slow(rows):
    """simulate update on values near the median path (about 1 s a case: the slow run only)."""
    run_published_case(rows)
