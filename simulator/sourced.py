"""Files of sourced numbers: TOML reading and the ``{value, unit, source, ...}`` tables that the
core and satellite calibrations share.

A value table holds ``value``, ``unit`` and ``source``, optionally ``se`` (standard error),
``note``, ``assumption = true`` (no source pins the number down), ``echo = "<target ids>"`` (the
number comes from a target's own arithmetic, so that target's P(hit) restates it), and the
estimation record ``sample`` and ``method``. A spec ``{name: (unit, lower, upper)}`` says which names a file must
hold, in which unit and within which bounds.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError

Spec = dict[str, tuple[str, float, float]]


def read_toml(path: str | Path, *, what: str = "file") -> dict:
    """Parse a TOML file; a missing file or a syntax error is an :class:`InputError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found", file=path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=path) from None


def first_error(error: ValidationError) -> tuple[str, str]:
    """(dotted location, message with the offending input) of a pydantic error's first complaint."""
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return loc, f"{first['msg']} (got {first.get('input')!r})"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float
    unit: str
    source: str = Field(min_length=1)
    note: str = ""
    se: float | None = Field(default=None, ge=0.0)
    assumption: bool = False
    echo: str = ""
    sample: str = ""
    method: str = ""


@dataclass(frozen=True)
class Value:
    """One sourced number; bounds are inclusive and per-path draws are clipped to them."""

    name: str
    value: float
    unit: str
    source: str
    note: str
    se: float | None
    assumption: bool
    lower: float
    upper: float
    echo: str = ""  # target ids whose own arithmetic produced the number (its P(hit) restates it)


def unknown_name_message(name: str, known, *, listed_in: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown name '{name}'.{hint} Valid names are listed in {listed_in}."


def check_bounds(value: float, lower: float, upper: float, *, file: str | Path, key: str) -> None:
    if math.isnan(value) or not (lower <= value <= upper):
        raise InputError(f"value {value} is outside the allowed range [{lower}, {upper}]", file=file, key=key)


class Meta(BaseModel):
    """The ``[meta]`` table of a calibration file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    region: str
    region_vi: str = ""
    base_year: int = Field(ge=1900, le=2200)
    description: str = ""
    data_vintage: str = ""


def read_calibration_file(path: str | Path, *, sections: tuple[str, ...], what: str) -> tuple[dict, Meta]:
    """Parse a calibration file: its raw tables (only ``sections`` allowed) and its ``[meta]``."""
    raw = read_toml(path, what=what)
    for section in raw:
        if section not in sections:
            raise InputError(f"unknown section; expected {', '.join(sections)}", file=path, key=section)
    try:
        meta = Meta(**raw.get("meta", {}))
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise InputError(msg, file=path, key=f"meta.{loc}") from None
    return raw, meta


def read_values(table: dict, spec: Spec, *, file: str | Path, prefix: str, listed_in: str) -> dict[str, Value]:
    """Validate the value tables of one section against a spec: every name known and present,
    units equal to the spec's, values within bounds."""
    out: dict[str, Value] = {}
    for name, raw in table.items():
        key = f"{prefix}.{name}"
        if name not in spec:
            raise InputError(unknown_name_message(name, spec, listed_in=listed_in), file=file, key=key)
        if not isinstance(raw, dict):
            raise InputError("expected a table with value, unit and source", file=file, key=key)
        try:
            entry = _Entry(**raw)
        except ValidationError as exc:
            loc, msg = first_error(exc)
            raise InputError(msg, file=file, key=f"{key}.{loc}") from None
        unit, lower, upper = spec[name]
        if entry.unit != unit:
            raise InputError(f"unit '{entry.unit}' does not match the model's unit '{unit}'", file=file, key=f"{key}.unit")
        check_bounds(entry.value, lower, upper, file=file, key=f"{key}.value")
        out[name] = Value(name, entry.value, entry.unit, entry.source, entry.note, entry.se,
                          entry.assumption, lower, upper, entry.echo)
    missing = sorted(set(spec) - set(out))
    if missing:
        raise InputError(f"missing entries: {', '.join(missing)}", file=file, key=prefix)
    return out


def flatten_blocks(tables: dict, *, file: str | Path, prefix: str = "parameters") -> dict[str, dict]:
    """``{block: {name: table}}`` -> ``{"block.name": table}``."""
    flat = {}
    for block, table in tables.items():
        if not isinstance(table, dict):
            raise InputError("expected a table of parameters", file=file, key=f"{prefix}.{block}")
        flat.update({f"{block}.{name}": entry for name, entry in table.items()})
    return flat


def with_overrides(values: dict[str, Value], overrides: dict[str, float], *, origin, key_prefix: str,
                   listed_in: str) -> dict[str, Value]:
    """A copy of ``values`` with some numbers replaced by a scenario; they count as assumptions.

    ``origin`` is the file that set the overrides, or a function of the dotted key giving it
    (so that a value from ``--set`` is blamed on ``--set``).
    """
    out = dict(values)
    for name, new_value in overrides.items():
        key = f"{key_prefix}.{name}"
        where = origin(key) if callable(origin) else origin
        if name not in out:
            raise InputError(unknown_name_message(name, out, listed_in=listed_in), file=where, key=key)
        old = out[name]
        check_bounds(new_value, old.lower, old.upper, file=where, key=key)
        out[name] = replace(old, value=float(new_value), source=f"scenario override ({where})", assumption=True)
    return out
