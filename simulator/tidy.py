"""Tidy observation files, read and checked row by row with the standard library only.

A tidy file has one observation a row with the columns of :data:`COLUMNS` (see
``calibration/data/README.md``). :func:`read_records` gives its rows as dicts; the calibration
(:mod:`simulator.estimation.data`) makes a table of them, the outside view
(:mod:`simulator.outside_view`) reads them as they are, so a run never loads pandas.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from pathlib import Path

from .errors import InputError, brief
from .files import MAX_CSV_BYTES, read_text

COLUMNS = ("region", "year", "indicator", "value", "unit", "price_basis", "source", "note")
PRICE_BASES = ("current", "constant_2010", "n/a", "")

#: A year and a number as the tidy schema writes them (ASCII digits, '.' as decimal separator).
_YEAR = re.compile(r"[0-9]{1,6}")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


def fail(message: str, path: Path, line: int) -> InputError:
    return InputError(message, file=f"{path}, line {line}")


def read_records(path: Path, *, regions, units, indicators: dict | None = None,
                 years: tuple[int, int] = (1900, 2100)) -> list[dict]:
    """Read one tidy CSV, checking every row.

    ``indicators`` maps an indicator to its :class:`~simulator.estimation.config.IndicatorSpec`
    (unit, plausible range); when given, every row's indicator must be one of them.

    Raises
    ------
    InputError
        Naming the file and line: a file that is not UTF-8 text or too large, wrong header, wrong
        number of fields, unknown region or unit, a year or value that is not a number, a year
        outside ``years``, an undeclared indicator, a unit that does not fit the indicator, a
        value outside its plausible range, an unknown price basis, or a duplicate key
        (region, year, indicator, source).
    """
    text = read_text(path, what="data file", limit=MAX_CSV_BYTES)
    records, seen = [], {}
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise fail(f"not a valid CSV header: {exc}", path, 1) from None
        if header is None or tuple(header) != COLUMNS:
            raise fail(f"expected the header {','.join(COLUMNS)}, got {','.join(header or [])!r}", path, 1)
        while True:
            line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise fail(f"not a valid CSV row: {exc}", path, line) from None
            if not fields:
                continue
            if len(fields) != len(COLUMNS):
                raise fail(f"expected {len(COLUMNS)} fields, got {len(fields)}", path, line)
            row = dict(zip(COLUMNS, fields))
            if row["region"] not in regions:
                raise fail(f"unknown region {brief(row['region'])}; expected one of {', '.join(regions)}", path, line)
            if row["unit"] not in units:
                raise fail(f"unknown unit {brief(row['unit'])}; expected one of {', '.join(units)}", path, line)
            if row["price_basis"] not in PRICE_BASES:
                raise fail(f"unknown price basis {brief(row['price_basis'])}; expected one of "
                           f"{', '.join(p for p in PRICE_BASES if p)}", path, line)
            if not _YEAR.fullmatch(row["year"]):  # int() would take ' 2020', '2_020' or other scripts' digits
                raise fail(f"year {brief(row['year'])} is not an integer", path, line)
            year = int(row["year"])
            if not years[0] <= year <= years[1]:
                raise fail(f"year {year} is outside {years[0]}–{years[1]} (data.years of the config)", path, line)
            if not _NUMBER.fullmatch(row["value"]) and row["value"].lower().lstrip("+-") not in ("nan", "inf", "infinity"):
                raise fail(f"value {brief(row['value'])} is not a number (use '.' as decimal separator, "
                           "no thousands separator)", path, line)
            value = float(row["value"])
            if not math.isfinite(value):
                raise fail(f"value {brief(row['value'])} is not a finite number", path, line)
            if indicators:
                _check_indicator(row["indicator"], row["unit"], value, row["value"], indicators, path, line)
            if not row["source"].strip():
                raise fail("empty source: every observation needs its page address", path, line)
            key = (row["region"], year, row["indicator"], row["source"])
            if key in seen:
                raise fail(f"duplicate key (region, year, indicator, source) = {key[:3]} with the same source; "
                           f"first given on line {seen[key]}", path, line)
            seen[key] = line
            records.append({**row, "year": year, "value": value, "file": str(path), "line": line})
    return records


def _check_indicator(indicator: str, unit: str, value: float, text: str, indicators: dict, path: Path,
                     line: int) -> None:
    """A row's unit and value against the config's ``[data.indicators]`` declaration."""
    spec = indicators.get(indicator)
    if spec is None:
        close = difflib.get_close_matches(indicator, list(indicators), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise fail(f"indicator {brief(indicator)} is not declared in data.indicators of the config.{hint}", path, line)
    if unit != spec.unit:
        raise fail(f"unit {brief(unit)} does not fit indicator {brief(indicator)}, which is given in '{spec.unit}' "
                   "(data.indicators of the config)", path, line)
    if not spec.min <= value <= spec.max:
        raise fail(f"value {text.strip()} of {brief(indicator)} is outside its plausible range [{spec.min:g}, {spec.max:g}] "
                   f"{unit} (data.indicators of the config): a typo, or a value in another unit?", path, line)


